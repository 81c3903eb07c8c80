import Foundation
import GridLedger
import GridLive
import GridLoad
import GridTopology

// Faults, live. A crash is SIGKILL of the node's process; a restart is a new process on the same store; a
// partition or extra loss is a command each node's transport reads from its control file (the kernel here has no
// netem, and the transport already applies the topology's link model).
extension LiveRun {
    func apply(_ fault: Topology.Fault, atSeconds: Double) throws {
        func mark(_ target: String) {
            faultMarks.append(FaultMark(atSeconds: atSeconds, kind: fault.kind.name.rawValue, target: target))
        }
        switch fault.kind {
        case .crash(let reference):
            let name = try resolve(reference, forRestart: false, atSeconds: atSeconds)
            guard let child = nodes[name] else { throw LiveRunError("faults: no node \(name) to crash") }
            crashed.insert(name)
            child.kill()
            mark(name)
            let region = String(name.split(separator: "/").first ?? "")
            let height =
                nodeOrder.filter { $0.hasPrefix(region + "/") }.compactMap { status(of: $0)?.committedHeight }
                .max() ?? 0
            note(atSeconds, "crash \(reference) -> SIGKILL \(name) (region at height \(height))")
        case .restart(let reference):
            let name = try resolve(reference, forRestart: true, atSeconds: atSeconds)
            guard let child = nodes[name] else { throw LiveRunError("faults: no node \(name) to restart") }
            if child.isRunning {
                note(atSeconds, "restart \(reference): \(name) is running; nothing to do")
                return
            }
            let region = String(name.split(separator: "/").first ?? "")
            let target =
                nodeOrder.filter { $0.hasPrefix(region + "/") && $0 != name }
                .compactMap { status(of: $0)?.committedHeight }.max() ?? 0
            try child.start()
            mark(name)
            crashed.remove(name)
            catchUps[name] = CatchUp(restartedAtSeconds: atSeconds, targetHeight: target)
            note(atSeconds, "restart \(reference) -> \(name) on its store (peers at height \(target))")
        case .partition(let durationSeconds, let groups):
            var groupOf: [String: Int] = [:]
            var groupLabels: [String] = []
            for (index, group) in groups.enumerated() {
                var labels: [String] = []
                for reference in group {
                    let name = try resolve(reference, forRestart: false, atSeconds: atSeconds)
                    groupOf[name] = index
                    labels.append(name)
                }
                groupLabels.append(labels.joined(separator: ","))
            }
            for name in nodeOrder {
                let mine = groupOf[name] ?? groups.count
                let others = nodeOrder.filter { (groupOf[$0] ?? groups.count) != mine }
                control(name, LiveControlCommand(partition: others.map(addressName)))
            }
            note(atSeconds, "partition \(groups.map { $0.map(\.description) }) for \(durationSeconds) s")
            mark(groupLabels.joined(separator: " | "))
            scheduled.append(
                (
                    atSeconds + durationSeconds,
                    { [unowned self] at in
                        for name in self.nodeOrder { self.control(name, LiveControlCommand(partition: [])) }
                        self.note(at, "partition healed")
                    }
                ))
        case .loss(let durationSeconds, let rate, let references):
            let names =
                try references.map { try $0.map { try resolve($0, forRestart: false, atSeconds: atSeconds) } }
                ?? nodeOrder
            for name in names { control(name, LiveControlCommand(loss: rate)) }
            mark(references == nil ? "all links" : names.joined(separator: ","))
            note(atSeconds, "loss \(rate) on links of \(names.joined(separator: ", ")) for \(durationSeconds) s")
            scheduled.append(
                (
                    atSeconds + durationSeconds,
                    { [unowned self] at in
                        for name in names { self.control(name, LiveControlCommand(loss: 0)) }
                        self.note(at, "loss ended")
                    }
                ))
        case .byzantineRegion(let region, let behavior, let durationSeconds):
            // The whole region lies, as in the simulator: every validator rewrites the entries it sends the
            // committee, and a colluding quorum (the region's first 2f + 1) certifies the non-extending headers.
            guard let count = topology.regions.first(where: { $0.name == region })?.validators else {
                throw LiveRunError("faults: byzantineRegion names no region \(region)")
            }
            let names = (0..<count).map { "\(region)/v\($0)" }
            let colluders = (0..<QuorumCertificate.quorum(validatorCount: count)).map { index in
                LiveControlCommand.Colluder(
                    index: index,
                    keyFile: deploymentDirectory.appendingPathComponent("keys/\(region)-v\(index).key").path)
            }
            for name in names {
                control(name, LiveControlCommand(byzantine: behavior.rawValue, colluders: colluders))
            }
            mark(region)
            note(atSeconds, "byzantineRegion \(region) (\(behavior.rawValue)) for \(durationSeconds) s")
            scheduled.append(
                (
                    atSeconds + durationSeconds,
                    { [unowned self] at in
                        for name in names { self.control(name, LiveControlCommand(byzantine: "honest")) }
                        self.note(at, "byzantineRegion \(region) honest again")
                    }
                ))
        }
    }

    /// `REGION/vI`, or `REGION/leader`: the validator the live replica furthest ahead waits on now, from the
    /// status each node refreshes many times a second.
    func resolve(_ reference: NodeReference, forRestart: Bool, atSeconds: Double) throws -> String {
        switch reference.validator {
        case .index(let index):
            let name = "\(reference.region)/v\(index)"
            guard nodes[name] != nil else { throw LiveRunError("faults: \(reference) names no node of this topology") }
            return name
        case .leader where forRestart:
            guard let victim = leaderCrashVictims[reference.region]?.popLast() else {
                throw LiveRunError("faults: restart \(reference) before any crash of \(reference)")
            }
            return victim
        case .leader:
            let members = nodeOrder.filter { $0.hasPrefix(reference.region + "/") }
            let live = members.filter { nodes[$0]?.isRunning == true }
            let statuses = live.compactMap { name in status(of: name).map { (name, $0) } }
            guard
                let furthest = statuses.max(by: {
                    ($0.1.round ?? 0, $0.1.roundProgress ?? 0) < ($1.1.round ?? 0, $1.1.roundProgress ?? 0)
                }), let leader = furthest.1.awaitedLeader
            else {
                throw LiveRunError("faults: no live node of \(reference.region) reports whom it waits on")
            }
            let name = "\(reference.region)/v\(leader)"
            let awaitedBy = statuses.filter { $0.1.awaitedLeader == leader }.count
            let nowNanos = UInt64(Date().timeIntervalSince1970 * 1e9)
            let ageMillis = furthest.1.writtenAtUnixNanos.map { nowNanos > $0 ? Double(nowNanos - $0) / 1e6 : 0 } ?? -1
            leaderCrashVictims[reference.region, default: []].append(name)
            faultLog.append(
                RunResult.LeaderFault(
                    atSeconds: atSeconds, fault: "crash", node: name, round: furthest.1.round ?? 0,
                    awaitedBy: awaitedBy, liveNodes: live.count))
            note(
                atSeconds,
                "\(reference) resolved to \(name): awaited in round \(furthest.1.round ?? 0) by \(awaitedBy) of "
                    + "\(live.count) live nodes (status \(String(format: "%.0f", ageMillis)) ms old)")
            return name
        }
    }

    /// Appends one command to the node's control file, which its transport polls.
    func control(_ name: String, _ command: LiveControlCommand) {
        let url = controlURL(name)
        if !FileManager.default.fileExists(atPath: url.path) {
            FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        guard let handle = try? FileHandle(forWritingTo: url) else {
            note(secondsSinceRunStart(), "cannot write the control file \(url.path) of \(name): fault not applied")
            return
        }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        handle.write(Data(command.line().utf8))
    }

    /// The name a node's transport knows a peer by (`r0/v1`: region index, not region name).
    func addressName(_ name: String) -> String {
        layout?.genesis.node(named: name)?.address.description ?? name
    }

    func note(_ atSeconds: Double, _ text: String) {
        faultNotes.append(String(format: "t=%.3fs ", atSeconds) + text)
    }

    /// Restarted nodes reaching the height their peers had when they restarted.
    func checkCatchUps(atSeconds: Double) {
        for (name, catchUp) in catchUps where catchUp.caughtUpAtSeconds == nil {
            if let height = status(of: name)?.committedHeight, height >= catchUp.targetHeight,
                status(of: name)?.pid.map({ Int32($0) == nodes[name]?.processIdentifier }) ?? false
            {
                catchUps[name]?.caughtUpAtSeconds = atSeconds
                note(
                    atSeconds,
                    "\(name) caught up to height \(catchUp.targetHeight) "
                        + String(format: "%.2f s after its restart", atSeconds - catchUp.restartedAtSeconds))
            }
        }
    }
}

struct CatchUp {
    var restartedAtSeconds: Double
    var targetHeight: UInt64
    var caughtUpAtSeconds: Double?
}
