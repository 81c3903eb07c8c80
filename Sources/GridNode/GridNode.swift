// The runtime-neutral node layer: everything a region validator or a committee member does apart from time,
// network and CPU. The simulator and the live runtime drive it.
