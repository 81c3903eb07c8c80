// Genesis files and deployments.
