/// Simple things visible in a text, one number per character: what a unit of a character
/// model may follow (Karpathy et al. 2015 found cells for quotes, line length and brackets).
public enum TextFeature: String, CaseIterable, Sendable {
    /// 1 between an opening and a closing double quote, else 0.
    case insideQuotes = "inside quotes"
    /// 1 while a ( [ or { is open, else 0.
    case insideBrackets = "inside brackets"
    /// The characters since the last line break.
    case linePosition = "position in the line"
    /// 1 on a letter, 0 elsewhere.
    case insideWord = "inside a word"
    /// 1 on an upper-case letter.
    case upperCase = "upper case"

    /// The feature at every character.
    public func values(_ characters: [Character]) -> [Double] {
        var quoted = false, depth = 0, column = 0
        return characters.map { ch in
            defer {
                if ch == "\"" { quoted.toggle() }
                if "([{".contains(ch) { depth += 1 } else if ")]}".contains(ch) { depth = max(0, depth - 1) }
                column = ch.isNewline ? 0 : column + 1
            }
            switch self {
            case .insideQuotes: return quoted && ch != "\"" ? 1 : 0
            case .insideBrackets: return depth > 0 && !")]}".contains(ch) ? 1 : 0
            case .linePosition: return Double(column)
            case .insideWord: return ch.isLetter ? 1 : 0
            case .upperCase: return ch.isUppercase ? 1 : 0
            }
        }
    }
}

/// A unit whose value goes with a feature: their correlation over a text.
public struct TrackingUnit: Equatable, Sendable {
    /// The unit, from 0.
    public var unit: Int
    /// The feature it follows.
    public var feature: TextFeature
    /// Pearson's r between the unit's values and the feature's, over every character.
    public var correlation: Double
}

extension TextActivity {
    /// For each feature that varies over the text, the units of `name` most correlated with it
    /// (|r| at least `threshold`, at most `perFeature` each), strongest first.
    public func trackingUnits(_ name: String, threshold: Double = 0.3, perFeature: Int = 3) -> [TrackingUnit] {
        let units = values[name]?.first?.count ?? 0
        var found: [TrackingUnit] = []
        for feature in TextFeature.allCases {
            let f = feature.values(characters)
            var best: [TrackingUnit] = []
            for unit in 0..<units {
                let r = pearson(track(name, unit: unit), f)
                if abs(r) >= threshold { best.append(TrackingUnit(unit: unit, feature: feature, correlation: r)) }
            }
            found += best.sorted(by: TrackingUnit.stronger).prefix(max(perFeature, 0))
        }
        return found.sorted(by: TrackingUnit.stronger)
    }
}

extension TrackingUnit {
    /// Stronger correlation first; the lower unit on a tie.
    static func stronger(_ a: TrackingUnit, _ b: TrackingUnit) -> Bool {
        let (x, y) = (abs(a.correlation), abs(b.correlation))
        return x != y ? x > y : a.unit < b.unit
    }
}

/// Pearson's correlation of two series (0 when either is constant or they differ in length).
func pearson(_ a: [Double], _ b: [Double]) -> Double {
    guard a.count == b.count, a.count > 1 else { return 0 }
    let n = Double(a.count), ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for (x, y) in zip(a, b) {
        sab += (x - ma) * (y - mb)
        saa += (x - ma) * (x - ma)
        sbb += (y - mb) * (y - mb)
    }
    guard saa > 0, sbb > 0, sab.isFinite else { return 0 }
    return sab / (saa * sbb).squareRoot()
}
