import Foundation
import GridLoad

/// Why a saved result could not be read; every case names the file, and the field where there is one.
public enum ReportInputError: Error, Equatable, CustomStringConvertible {
    case missing(file: String)
    case unreadable(file: String, reason: String)
    case invalid(file: String, field: String, reason: String)
    case unsupportedSchema(file: String, version: Int, supported: Int)
    case nothingToReport(directory: String)

    public var description: String {
        switch self {
        case .missing(let file): "\(file): no such file or folder"
        case .unreadable(let file, let reason): "\(file): cannot read: \(reason)"
        case .invalid(let file, let field, let reason):
            field.isEmpty ? "\(file): \(reason)" : "\(file): field '\(field)': \(reason)"
        case .unsupportedSchema(let file, let version, let supported):
            "\(file): field 'schemaVersion' is \(version); this build reads version \(supported)"
        case .nothingToReport(let directory):
            "\(directory): holds no result.json, capacity.json or sweep.json"
        }
    }
}

/// Reads saved results for the report and compare commands, with errors that say which file and field is wrong.
public enum ReportInput {
    /// What a folder holds, in the order the report command renders them.
    public enum Content: Equatable, Sendable {
        case sweep(URL)
        case capacity(URL)
        case run(URL)

        public var file: URL {
            switch self {
            case .sweep(let url), .capacity(let url), .run(let url): url
            }
        }
    }

    public static let runFile = "result.json"
    public static let capacityFile = "capacity.json"
    public static let sweepFile = "sweep.json"

    /// Largest file read (a result with a long time series is a few MiB); bigger is refused, not loaded.
    public static let fileBytesMax = 256 << 20

    /// The result files in `directory` (a sweep folder, a capacity folder and a run folder are told apart by their
    /// file); throws when the folder is missing or holds none of them.
    public static func contents(of directory: URL) throws -> [Content] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            throw ReportInputError.missing(file: directory.path)
        }
        guard isDirectory.boolValue else {
            throw ReportInputError.unreadable(file: directory.path, reason: "not a directory")
        }
        var found: [Content] = []
        func exists(_ name: String) -> URL? {
            let url = directory.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: url.path) ? url : nil
        }
        if let url = exists(sweepFile) { found.append(.sweep(url)) }
        if let url = exists(capacityFile) { found.append(.capacity(url)) }
        if let url = exists(runFile) { found.append(.run(url)) }
        guard !found.isEmpty else { throw ReportInputError.nothingToReport(directory: directory.path) }
        return found
    }

    public static func loadRun(_ url: URL) throws -> RunResult {
        try load(RunResult.self, from: url, supported: RunResult.currentSchemaVersion)
    }

    public static func loadCapacity(_ url: URL) throws -> CapacityResult {
        try load(CapacityResult.self, from: url, supported: CapacityResult.currentSchemaVersion)
    }

    public static func loadSweep(_ url: URL) throws -> SweepSummary {
        try load(SweepSummary.self, from: url, supported: SweepSummary.currentSchemaVersion)
    }

    /// A result.json or capacity.json given as a file, or as a folder holding one (capacity.json first).
    public static func resolveComparable(_ path: String) throws -> Content {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ReportInputError.missing(file: path)
        }
        if isDirectory.boolValue {
            let contents = try contents(of: url).filter {
                if case .sweep = $0 { return false }
                return true
            }
            guard let first = contents.first else {
                throw ReportInputError.invalid(
                    file: path, field: "",
                    reason: "holds only a sweep.json; compare takes a result.json or capacity.json")
            }
            return first
        }
        return url.lastPathComponent == capacityFile ? .capacity(url) : .run(url)
    }

    static func read(_ url: URL) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else { throw ReportInputError.missing(file: url.path) }
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        if let size = attributes?[.size] as? NSNumber, size.intValue > fileBytesMax {
            throw ReportInputError.unreadable(
                file: url.path, reason: "\(size.intValue) bytes is more than the \(fileBytesMax) bytes read at most")
        }
        do { return try Data(contentsOf: url) } catch {
            throw ReportInputError.unreadable(file: url.path, reason: error.localizedDescription)
        }
    }

    /// Decodes `T` from `url` after checking `schemaVersion`, turning decoding errors into ones that name the field.
    public static func load<T: Decodable>(_ type: T.Type, from url: URL, supported: Int) throws -> T {
        let data = try read(url)
        return try decode(type, from: data, file: url.path, supported: supported)
    }

    @discardableResult
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String, supported: Int) throws -> T {
        let decoder = JSONDecoder()
        do {
            let version = try decoder.decode(VersionOnly.self, from: data).schemaVersion
            guard version == supported else {
                throw ReportInputError.unsupportedSchema(file: file, version: version, supported: supported)
            }
            return try decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw describe(error, file: file)
        }
    }

    private struct VersionOnly: Decodable { var schemaVersion: Int }

    static func describe(_ error: DecodingError, file: String) -> ReportInputError {
        func path(_ context: DecodingError.Context, _ last: (any CodingKey)? = nil) -> String {
            var parts: [String] = []
            for key in context.codingPath + (last.map { [$0] } ?? []) {
                if let index = key.intValue {
                    parts.append("[\(index)]")
                } else {
                    parts.append((parts.isEmpty ? "" : ".") + key.stringValue)
                }
            }
            return parts.joined()
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .invalid(file: file, field: path(context, key), reason: "missing")
        case .typeMismatch(let type, let context):
            return .invalid(file: file, field: path(context), reason: "expected \(describeType(type))")
        case .valueNotFound(let type, let context):
            return .invalid(file: file, field: path(context), reason: "is null, expected \(describeType(type))")
        case .dataCorrupted(let context):
            let field = path(context)
            let reason =
                field.isEmpty ? "not valid JSON (\(context.debugDescription))" : context.debugDescription
            return .invalid(file: file, field: field, reason: reason)
        @unknown default:
            return .invalid(file: file, field: "", reason: String(describing: error))
        }
    }

    static func describeType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is UInt64.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        default:
            String(describing: type).hasPrefix("Array")
                ? "a list" : (String(describing: type).hasPrefix("Dictionary") ? "an object" : "\(type)")
        }
    }
}
