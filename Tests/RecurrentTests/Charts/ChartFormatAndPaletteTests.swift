import Foundation
import Testing
@testable import Recurrent

@Suite struct FormatTests {
    @Test("Fixed notation writes the asked number of decimals, with a point") func fixedWritesExactDecimalsWithPointSeparator() {
        #expect(ChartFormat.fixed(3.14159, decimals: 2) == "3.14")
        #expect(ChartFormat.fixed(2, decimals: 3) == "2.000")
        #expect(ChartFormat.fixed(-1.5, decimals: 0) == "-2")
    }

    @Test("Fixed notation rounds exact ties half to even") func fixedRoundsExactTiesHalfToEven() {
        #expect(ChartFormat.fixed(0.125, decimals: 2) == "0.12")
        #expect(ChartFormat.fixed(0.375, decimals: 2) == "0.38")
        #expect(ChartFormat.fixed(2.5, decimals: 0) == "2")
        #expect(ChartFormat.fixed(-3.5, decimals: 0) == "-4")
        #expect(ChartFormat.fixed(1.005, decimals: 2) == "1.00")   // 1.005 is 1.00499999999999989...
        #expect(ChartFormat.fixed(5e-324, decimals: 12) == "0.000000000000")
    }

    /// The integer path gives the C library's `%.*f` byte for byte: random bit patterns, values
    /// near the charts' range, exact ties (multiples of 1/8) and tiny values, at every precision.
    @Test("Fixed notation matches the C library's printf on the integer path") func fixedMatchesTheCLibraryOnTheIntegerPath() {
        var generator = SeededGenerator(seed: 7)
        var checked = 0
        for trial in 0..<20_000 {
            let places = trial % 13
            let bits = generator.next(), small = Double(Int64(bitPattern: bits) >> 40)
            for value in [Double(bitPattern: bits), small / 1024, small / 8, small * 0x1p-70] {
                guard let fast = ChartFormat.exactFixed(value, places: places) else { continue }
                let c = ChartFormat.normalizedNegativeZero(String(format: "%.*f", Int32(places), value))
                #expect(fast == c, "\(value) at \(places) places")
                checked += 1
            }
        }
        #expect(checked > 55_000)
    }

    @Test("Trimming drops trailing zeros after the point only") func trimZerosDropsTrailingZerosAfterThePointOnly() {
        #expect(ChartFormat.trimZeros("1.500") == "1.5")
        #expect(ChartFormat.trimZeros("2.000") == "2")
        #expect(ChartFormat.trimZeros("100") == "100")
        #expect(ChartFormat.trimZeros("-0.000") == "0")
        #expect(ChartFormat.trimZeros("-10.50") == "-10.5")
    }

    @Test("Negative zero prints as 0") func fixedPrintsNegativeZeroAsZero() {
        #expect(ChartFormat.fixed(-0.001, decimals: 2) == "0.00")
        #expect(ChartFormat.compact(-0.0) == "0")
    }

    @Test("NaN and infinities print as NaN, Inf and -Inf, never nan or inf") func nonFiniteValuesNeverPrintAsLowercaseNanOrInf() {
        #expect(ChartFormat.fixed(.nan, decimals: 2) == "NaN")
        #expect(ChartFormat.fixed(.infinity, decimals: 2) == "Inf")
        #expect(ChartFormat.compact(-.infinity) == "-Inf")
        #expect(ChartFormat.scientific(.nan) == "NaN")
    }

    @Test("Compact notation trims zeros and is scientific outside the plain range") func compactTrimsZerosAndSwitchesToScientificOutsidePlainRange() {
        #expect(ChartFormat.compact(0) == "0")
        #expect(ChartFormat.compact(0.5) == "0.5")
        #expect(ChartFormat.compact(1.5) == "1.5")
        #expect(ChartFormat.compact(1000) == "1000")
        #expect(ChartFormat.compact(0.0001) == "0.0001")
        #expect(ChartFormat.compact(123456.7) == "123457")
        #expect(ChartFormat.compact(1e-6) == "1e-6")
        #expect(ChartFormat.compact(2.5e7) == "2.5e7")
        #expect(ChartFormat.compact(-3.25e-9) == "-3.25e-9")
        #expect(ChartFormat.compact(0.1 + 0.2) == "0.3")
    }

    @Test("Coordinates round to two decimals") func coordinateRoundsToTwoDecimals() {
        #expect(ChartFormat.coordinate(12.3456) == "12.35")
        #expect(ChartFormat.coordinate(40) == "40")
        #expect(ChartFormat.coordinate(.nan) == "0")
    }

    @Test("Escaping replaces characters XML forbids and keeps other Unicode") func escapeReplacesNoncharactersAndKeepsOtherUnicode() {
        #expect(ChartFormat.escape("a\u{FFFE}b\u{FFFF}") == "a\u{FFFD}b\u{FFFD}")
        #expect(ChartFormat.escape("é → ∑ 1.5 \u{FFEE}") == "é → ∑ 1.5 \u{FFEE}")
    }

    @Test("Escaping replaces all five XML special characters") func escapeReplacesAllFiveXMLSpecialCharacters() {
        #expect(ChartFormat.escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
        #expect(ChartFormat.escape("bell\u{07}") == "bell\u{FFFD}")
        #expect(ChartFormat.escape("tab\tnew\n") == "tab\tnew\n")
    }

    @Test("A JSON string cannot close the script element it sits in") func jsonStringIsSafeInsideScriptElements() {
        #expect(ChartFormat.jsonString("</script>") == "\"\\u003c/script\\u003e\"")
        #expect(ChartFormat.jsonString("a\"b\\c\n") == "\"a\\\"b\\\\c\\n\"")
    }
}

@Suite struct PaletteTests {
    @Test("The categorical palette is Okabe-Ito's and wraps around") func categoricalIsOkabeItoAndWraps() {
        #expect(ChartPalette.okabeIto.count == 8)
        #expect(ChartPalette.categorical(0) == "#0072B2")
        #expect(ChartPalette.categorical(1) == "#D55E00")
        #expect(ChartPalette.categorical(8) == "#0072B2")
        #expect(ChartPalette.categorical(-1) == "#000000")
    }

    @Test("Viridis gives its stops exactly and clamps outside 0...1") func viridisHitsItsStopsAndClamps() {
        #expect(ChartPalette.viridis(0) == "#440154")
        #expect(ChartPalette.viridis(0.5) == "#21908C")
        #expect(ChartPalette.viridis(1) == "#FDE725")
        #expect(ChartPalette.viridis(-3) == "#440154")
        #expect(ChartPalette.viridis(7) == "#FDE725")
        #expect(ChartPalette.viridis(.nan) == ChartPalette.missing)
    }

    @Test("Viridis interpolates between its stops") func viridisInterpolatesBetweenStops() {
        // Halfway between #440154 and #482576.
        #expect(ChartPalette.viridis(0.05) == "#461365")
    }

    @Test("The diverging scale goes blue, white, red") func divergingGoesBlueWhiteRed() {
        #expect(ChartPalette.diverging(-1) == "#2166AC")
        #expect(ChartPalette.diverging(0) == "#F7F7F7")
        #expect(ChartPalette.diverging(1) == "#B2182B")
        #expect(ChartPalette.diverging(5) == "#B2182B")
        #expect(ChartPalette.diverging(-0.25) == "#D1E5F0")
    }

    @Test("Text on a cell is dark or light by the cell's luminance") func textColorPicksReadableInkByLuminance() {
        #expect(ChartPalette.textColor(on: "#000000") == "#FFFFFF")
        #expect(ChartPalette.textColor(on: "#FFFFFF") == "#000000")
        #expect(ChartPalette.textColor(on: "#440154") == "#FFFFFF")
        #expect(ChartPalette.textColor(on: "#FDE725") == "#000000")
        #expect(ChartPalette.textColor(on: "#2166AC") == "#FFFFFF")
        #expect(ChartPalette.textColor(on: "#F7F7F7") == "#000000")
        #expect(ChartPalette.textColor(on: "not a colour") == "#000000")
    }

    @Test("Colour scales without bounds take them from the data") func colorScalesResolveDefaultBoundsFromData() {
        let diverging = ColorScale.diverging().resolved(for: [0.5, -2, .nan, 1])
        #expect(diverging.lo == -2 && diverging.hi == 2)
        #expect(diverging.color(for: 0) == "#F7F7F7")
        let sequential = ColorScale.sequential().resolved(for: [3, 5, .infinity])
        #expect(sequential.lo == 3 && sequential.hi == 5)
        #expect(sequential.color(for: 5) == "#FDE725")
        #expect(ColorScale.diverging().resolved(for: []).hi == 1)
    }
}
