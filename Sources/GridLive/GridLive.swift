// The live runtime: see LiveNode.swift.
