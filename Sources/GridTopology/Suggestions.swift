/// "Did you mean ...?" for misspelt keys and values (public: sweep specs suggest the same way).
public enum Suggestions {
    /// The candidate closest to `word`, if it is close enough to be a plausible slip: the same word in another
    /// case or separator style (`latency_millis`), a few typing errors (`latencyMilis`), or the word with its
    /// unit cut or spelt differently (`latency`, `latencyMs`).
    public static func closest(to word: String, among candidates: [String]) -> String? {
        // Long words are no slip of a key, and would make the distance table large.
        guard word.utf8.count <= 64 else { return nil }
        let folded = fold(word)
        guard !folded.isEmpty else { return nil }
        if let same = candidates.first(where: { fold($0) == folded }) { return same }
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let foldedCandidate = fold(candidate)
            let distance = editDistance(folded, foldedCandidate)
            let typoLimit = max(1, min(3, folded.count / 3))
            let sharedPrefix = zip(folded, foldedCandidate).prefix { $0 == $1 }.count
            let isTruncation = sharedPrefix >= 4 && sharedPrefix >= folded.count - 2
            guard distance <= typoLimit || isTruncation else { continue }
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// Lower case without `_`, `-` and spaces.
    private static func fold(_ text: String) -> [Character] {
        Array(text.lowercased().filter { $0 != "_" && $0 != "-" && $0 != " " })
    }

    /// Levenshtein distance; words here are short (keys), so the quadratic table is fine.
    static func editDistance(_ lhs: [Character], _ rhs: [Character]) -> Int {
        if lhs.isEmpty { return rhs.count }
        if rhs.isEmpty { return lhs.count }
        var previous = Array(0...rhs.count)
        var current = [Int](repeating: 0, count: rhs.count + 1)
        for (row, left) in lhs.enumerated() {
            current[0] = row + 1
            for (column, right) in rhs.enumerated() {
                let substitution = previous[column] + (left == right ? 0 : 1)
                current[column + 1] = min(substitution, previous[column + 1] + 1, current[column] + 1)
            }
            swap(&previous, &current)
        }
        return previous[rhs.count]
    }
}
