// Runs a topology as processes.
