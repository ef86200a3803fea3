import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Recurrent

@Suite struct ShadedTextTests {
    @Test("Each character's background follows its track's value; missing values are marked") func backgroundColorsFollowTheTrackAndMarkMissingValues() {
        let text = ShadedText(text: "abcd")
        let colors = text.backgroundColors(for: .init(name: "u", values: [-1, 0, 1]))
        #expect(colors == ["#2166AC", "#F7F7F7", "#B2182B", ChartPalette.missing])
        let sequential = ShadedText(text: "ab", colorScale: .sequential(lo: 0, hi: 1))
        #expect(sequential.backgroundColors(for: .init(name: "u", values: [0, .nan])) == ["#440154", ChartPalette.missing])
    }

    @Test("The page escapes the text and has one span per character") func htmlEscapesTextAndHasOneSpanPerCharacter() throws {
        let source = "a<b&\"c'\nz"
        let shaded = ShadedText(text: source, values: (0..<9).map { Double($0) - 4 }, title: "Unit <7>")
        let page = shaded.html()
        #expect(page.contains("<span style=\"background:#2166AC;color:#FFFFFF\" title=\"-4\">a</span>"))
        #expect(page.contains(">&lt;</span>") && page.contains(">&amp;</span>"))
        #expect(page.contains(">&quot;</span>") && page.contains(">&#39;</span>"))
        #expect(page.contains(">\n</span>"))
        #expect(page.contains("<title>Unit &lt;7&gt;</title>"))
        let document = try XML.parse(page)
        let spans = try document.nodes(forXPath: "//pre[@id='text']/span")
        #expect(spans.count == source.count)
        #expect(spans.map { $0.stringValue ?? "" }.joined() == source)
    }

    @Test("Each track becomes an option and embedded JSON") func tracksBecomeOptionsAndEmbeddedJSON() throws {
        let shaded = ShadedText(text: "hi")
        let tracks = [ShadedText.Track(name: "unit 0", values: [1, -1]),
                      ShadedText.Track(name: "</script> & co", values: [0.5, 0])]
        let page = shaded.html(title: "Cells", tracks: tracks)
        let document = try XML.parse(page)
        let options = try document.nodes(forXPath: "//select[@id='track']/option").map { $0.stringValue ?? "" }
        #expect(options == ["unit 0", "</script> & co"])
        #expect(page.contains("\"name\":\"\\u003c/script\\u003e \\u0026 co\""))
        #expect(page.contains("\"bg\":[\"#B2182B\",\"#2166AC\"]"))
        #expect(page.contains("\"fg\":\"11\""))
        #expect(page.components(separatedBy: "</script>").count == 2)
        #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("src="))
    }

    @Test("The page is the same on every call") func pageIsDeterministic() {
        let shaded = ShadedText(text: "same\ntext", values: [0.1, 0.2, -0.3, 0.4, 0, 1, 2, 3, 4])
        #expect(shaded.html() == shaded.html())
        #expect(shaded.html(title: "t", tracks: [.init(name: "a", values: [1])]) ==
                shaded.html(title: "t", tracks: [.init(name: "a", values: [1])]))
    }

    @Test("An empty text gives a valid page with a \"no data\" note") func emptyTextGivesValidPageWithNoDataNote() throws {
        let page = ShadedText(text: "").html(title: "Empty", tracks: [])
        _ = try XML.parse(page)
        #expect(page.contains(">no data</pre>"))
        #expect(!page.contains("nan") && !page.contains("inf"))
    }

    @Test("Non-finite values are grey and never printed in lowercase") func nonFiniteValuesAreGreyAndNeverLowercase() throws {
        let page = ShadedText(text: "xyz", values: [.nan, .infinity, 1]).html()
        _ = try XML.parse(page)
        #expect(!page.contains("nan") && !page.contains("inf"))
        #expect(page.contains("background:" + ChartPalette.missing))
    }
}
