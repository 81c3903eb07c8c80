// The live load generator.
