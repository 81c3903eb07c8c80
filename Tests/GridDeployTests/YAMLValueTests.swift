import Foundation
import Testing
import Yams

@testable import GridDeploy

/// The emitter's text, read back by a YAML parser, is the value it was given: strings stay strings whatever they
/// look like, and multi-line text keeps every byte.
struct YAMLValueTests {
    @Test func tricky_strings_read_back_as_the_same_strings() throws {
        let strings = [
            "on", "off", "yes", "No", "null", "~", "0600", "1e3", "0x1F", "-1", "true", "", " leading",
            "trailing ", "a: b", "# not a comment", "- item", "quote \" and \\ backslash", "tab\there",
            "line\nbreak", "ünïcode ✓", "$JOB_COMPLETION_INDEX", "{\"json\": [1, 2]}\n", "two\n\nblank\n",
            "ends in two newlines\n\n", "  indented first\nline\n", "control \u{7} bell",
        ]
        let value = YAMLValue.map(strings.enumerated().map { ("k\($0.offset)", .string($0.element)) })
        let parsed = try #require(try Yams.load(yaml: value.document()) as? [String: Any])
        for (index, text) in strings.enumerated() {
            #expect(parsed["k\(index)"] as? String == text, "string \(index): \(text.debugDescription)")
        }
    }

    @Test func keys_that_a_yaml_1_1_reader_would_take_for_booleans_are_quoted() throws {
        let value: YAMLValue = ["on": 1, "y": 2, "app.kubernetes.io/name": "x", "9lives": 3]
        let text = value.document()
        #expect(text.contains("\"on\": 1"))
        #expect(text.contains("app.kubernetes.io/name: \"x\""))
        let parsed = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(parsed["on"] as? Int == 1)
        #expect(parsed["9lives"] as? Int == 3)
    }

    @Test func nested_maps_and_lists_keep_their_shape_and_order() throws {
        let value: YAMLValue = [
            "a": ["b": [1, 2, ["c": "d", "e": []]], "f": [:]],
            "g": [[1, 2], [3]],
            "h": true,
        ]
        let text = value.document()
        #expect(text.hasPrefix("a:\n"))
        let parsed = try #require(try Yams.load(yaml: text) as? [String: Any])
        let a = try #require(parsed["a"] as? [String: Any])
        let b = try #require(a["b"] as? [Any])
        #expect(b.count == 3)
        #expect(b[0] as? Int == 1)
        let inner = try #require(b[2] as? [String: Any])
        #expect(inner["c"] as? String == "d")
        #expect((inner["e"] as? [Any])?.isEmpty == true)
        #expect((a["f"] as? [String: Any])?.isEmpty == true)
        #expect((parsed["g"] as? [[Int]]) == [[1, 2], [3]])
        #expect(parsed["h"] as? Bool == true)
    }

    @Test func a_stream_holds_one_document_per_value() throws {
        let text = YAMLValue.stream([["kind": "A"], ["kind": "B"]])
        let documents = try Array(Yams.load_all(yaml: text))
        #expect(documents.count == 2)
        #expect((documents[1] as? [String: Any])?["kind"] as? String == "B")
    }
}
