import Foundation

/// Colour-blind-safe colours for charts: a categorical palette, a sequential map
/// (viridis) and a diverging map (ColorBrewer RdBu), all as `#RRGGBB` strings.
public enum ChartPalette {
    /// The Okabe–Ito palette for categorical series, in the order series use it:
    /// blue, vermillion, green, reddish purple, orange, sky blue, yellow, black.
    public static let okabeIto: [String] = [
        "#0072B2", "#D55E00", "#009E73", "#CC79A7",
        "#E69F00", "#56B4E9", "#F0E442", "#000000",
    ]

    /// Fill for missing or non-finite values.
    public static let missing = "#BDBDBD"

    /// Viridis at 11 evenly spaced stops, from t = 0 (dark purple) to t = 1 (yellow).
    public static let viridisStops: [String] = [
        "#440154", "#482576", "#414487", "#35608D", "#2A788E", "#21908C",
        "#22A884", "#43BF71", "#7AD151", "#BBDF27", "#FDE725",
    ]

    /// ColorBrewer RdBu (9 classes) from -1 (blue `#2166AC`) through 0 (`#F7F7F7`)
    /// to +1 (red `#B2182B`).
    public static let divergingStops: [String] = [
        "#2166AC", "#4393C3", "#92C5DE", "#D1E5F0", "#F7F7F7",
        "#FDDBC7", "#F4A582", "#D6604D", "#B2182B",
    ]

    /// How many categorical colours there are before they repeat: 8.
    public static var categoricalCount: Int { okabeIto.count }

    /// The categorical colour for series number `index` (wraps around after 8).
    public static func categorical(_ index: Int) -> String {
        let count = okabeIto.count
        return okabeIto[((index % count) + count) % count]
    }

    /// The viridis colour at `t`, clamped to 0...1; `missing` when `t` is NaN.
    public static func viridis(_ t: Double) -> String {
        guard !t.isNaN else { return missing }
        return interpolate(viridisColors, at: min(max(t, 0), 1))
    }

    /// The diverging colour for a signed `t` in -1...1 (clamped): blue for negative,
    /// near-white for 0, red for positive; `missing` when `t` is NaN.
    public static func diverging(_ t: Double) -> String {
        guard !t.isNaN else { return missing }
        let clamped = min(max(t, -1), 1)
        return interpolate(divergingColors, at: (clamped + 1) / 2)
    }

    /// Black (`#000000`) or white (`#FFFFFF`), whichever reads better on `fill`.
    ///
    /// Uses the WCAG relative luminance of the fill; a fill that is not `#RGB` or
    /// `#RRGGBB` gets black text.
    public static func textColor(on fill: String) -> String {
        guard let rgb = parseHex(fill) else { return "#000000" }
        return relativeLuminance(rgb) > 0.179 ? "#000000" : "#FFFFFF"
    }

    /// WCAG relative luminance (0 for black ... 1 for white) of an `#RRGGBB` or `#RGB`
    /// colour, or `nil` when the string is not such a colour.
    public static func luminance(of color: String) -> Double? {
        parseHex(color).map(relativeLuminance)
    }

    // MARK: - Helpers

    static func relativeLuminance(_ rgb: (r: Double, g: Double, b: Double)) -> Double {
        func channel(_ c: Double) -> Double {
            let s = c / 255
            return s <= 0.03928 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channel(rgb.r) + 0.7152 * channel(rgb.g) + 0.0722 * channel(rgb.b)
    }

    /// The stops as numbers, parsed once (a heatmap asks for a colour per cell).
    private static let viridisColors = viridisStops.compactMap(parseHex)
    private static let divergingColors = divergingStops.compactMap(parseHex)

    static func interpolate(_ colors: [(r: Double, g: Double, b: Double)], at t: Double) -> String {
        guard let first = colors.first, let last = colors.last else { return missing }
        guard colors.count > 1 else { return hex(first) }
        let position = t * Double(colors.count - 1)
        let index = min(Int(position.rounded(.down)), colors.count - 2)
        guard index >= 0 else { return hex(first) }
        let fraction = position - Double(index)
        if fraction >= 1 && index == colors.count - 2 { return hex(last) }
        let a = colors[index], b = colors[index + 1]
        return hex((r: a.r + (b.r - a.r) * fraction,
                    g: a.g + (b.g - a.g) * fraction,
                    b: a.b + (b.b - a.b) * fraction))
    }

    static func parseHex(_ color: String) -> (r: Double, g: Double, b: Double)? {
        guard color.hasPrefix("#") else { return nil }
        var digits = String(color.dropFirst())
        if digits.count == 3 { digits = digits.map { "\($0)\($0)" }.joined() }
        guard digits.count == 6, let value = UInt32(digits, radix: 16) else { return nil }
        return (Double((value >> 16) & 0xFF), Double((value >> 8) & 0xFF), Double(value & 0xFF))
    }

    static func hex(_ rgb: (r: Double, g: Double, b: Double)) -> String {
        func byte(_ c: Double) -> String {
            let v = Int(min(max(c.rounded(), 0), 255))
            let text = String(v, radix: 16, uppercase: true)
            return v < 16 ? "0" + text : text
        }
        return "#" + byte(rgb.r) + byte(rgb.g) + byte(rgb.b)
    }
}
