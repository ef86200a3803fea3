import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Recurrent

@Suite struct HeatmapTests {
    private let values: [[Double]] = [[0.1, -0.2, 0.3], [1, -1, 0], [0.123, 2, -2], [0.25, 1.987, 0.75]]

    private func map() -> Heatmap {
        Heatmap(title: "Weights", subtitle: "W_ih", rowLabels: ["u0", "u1", "u2", "u3"],
                columnLabels: ["a", "b", "c"], values: values)
    }

    @Test("A 4 x 3 heatmap has twelve cells with their values, positions and written text") func fourByThreeGridHasTwelveCellsWithValuesAndWrittenText() throws {
        let document = try XML.parse(map().svg())
        let cells = try XML.elements(in: document, withAttribute: "data-row")
        #expect(cells.count == 12)
        #expect(cells.compactMap { XML.attribute($0, "data-value") } ==
                ["0.1", "-0.2", "0.3", "1", "-1", "0", "0.123", "2", "-2", "0.25", "1.987", "0.75"])
        #expect(cells.compactMap { XML.attribute($0, "data-row") } ==
                ["0", "0", "0", "1", "1", "1", "2", "2", "2", "3", "3", "3"])
        #expect(cells.compactMap { XML.attribute($0, "data-col") } ==
                ["0", "1", "2", "0", "1", "2", "0", "1", "2", "0", "1", "2"])
        let written = try XML.elements(in: document, withAttribute: "pointer-events").map { $0.stringValue ?? "" }
        #expect(written == ["0.10", "-0.20", "0.30", "1.00", "-1.00", "0.00",
                            "0.12", "2.00", "-2.00", "0.25", "1.99", "0.75"])
    }

    @Test("Each cell's hover title names its row, column and value") func cellsCarryHoverTitlesWithRowColumnAndValue() throws {
        let document = try XML.parse(map().svg())
        let cells = try XML.elements(in: document, withAttribute: "data-row")
        #expect(cells[7].stringValue == "u2 · b: 2")
    }

    @Test("A diverging heatmap spans the largest absolute value either side of 0") func divergingScaleDefaultsToMaxAbsoluteValue() throws {
        let document = try XML.parse(map().svg())
        let cells = try XML.elements(in: document, withAttribute: "data-row")
        let fills = cells.compactMap { XML.attribute($0, "fill") }
        #expect(fills[7] == "#B2182B")
        #expect(fills[8] == "#2166AC")
        #expect(fills[5] == "#F7F7F7")
        let bar = try XML.elements(in: document, withAttribute: "data-lo").first
        #expect(bar.flatMap { XML.attribute($0, "data-lo") } == "-2")
        #expect(bar.flatMap { XML.attribute($0, "data-hi") } == "2")
        let written = try XML.elements(in: document, withAttribute: "pointer-events")
        #expect(XML.attribute(written[7], "fill") == "#FFFFFF")
        #expect(XML.attribute(written[5], "fill") == "#000000")
    }

    @Test("A sequential heatmap colours with viridis between its bounds") func sequentialScaleUsesViridisBetweenBounds() throws {
        let heat = Heatmap(title: "Seq", values: [[0, 0.5, 1, 3]], colorScale: .sequential(lo: 0, hi: 1),
                           decimals: 1)
        let document = try XML.parse(heat.svg())
        let fills = try XML.elements(in: document, withAttribute: "data-row").compactMap { XML.attribute($0, "fill") }
        #expect(fills == ["#440154", "#21908C", "#FDE725", "#FDE725"])
        let written = try XML.elements(in: document, withAttribute: "pointer-events").map { $0.stringValue ?? "" }
        #expect(written == ["0.0", "0.5", "1.0", "3.0"])
    }

    @Test("Non-finite cells are hatched and labelled NaN") func nonFiniteCellsAreHatchedAndLabelledNaN() throws {
        let heat = Heatmap(title: "Bad", values: [[1, .nan], [.infinity]], showValues: false)
        let svg = heat.svg()
        #expect(!svg.contains("nan") && !svg.contains("inf"))
        let document = try XML.parse(svg)
        let cells = try XML.elements(in: document, withAttribute: "data-row")
        #expect(cells.compactMap { XML.attribute($0, "data-value") } == ["1", "NaN", "Inf", "NaN"])
        #expect(cells.compactMap { XML.attribute($0, "fill") }.filter { $0 == "url(#missing-hatch)" }.count == 3)
        let written = try XML.elements(in: document, withAttribute: "pointer-events").map { $0.stringValue ?? "" }
        #expect(written == ["NaN", "Inf", "NaN"])
        #expect(svg.contains("id=\"missing-hatch\""))
    }

    @Test("Row groups draw separators and their names") func rowGroupsDrawSeparatorsAndNames() throws {
        let gates = ["i", "f", "g", "o"]
        let heat = Heatmap(title: "Gates", values: Array(repeating: [0.5, -0.5], count: 8),
                           rowGroups: gates.enumerated().map { .init(name: $0.element, rows: ($0.offset * 2)..<($0.offset * 2 + 2)) })
        let document = try XML.parse(heat.svg())
        let names = try XML.elements(in: document, withAttribute: "data-group").map { $0.stringValue ?? "" }
        #expect(names == gates)
        let separators = try XML.elements(in: document, withAttribute: "class")
            .filter { XML.attribute($0, "class") == "group-separator" }
        #expect(separators.count == 3)
    }

    @Test("The SVG's size follows the grid") func svgSizeFollowsTheGrid() throws {
        let small = Heatmap(title: "S", values: Array(repeating: [1, 2], count: 2))
        let large = Heatmap(title: "S", values: Array(repeating: Array(repeating: 1.0, count: 20), count: 30))
        let smallRoot = try XML.parse(small.svg()).rootElement()
        let largeRoot = try XML.parse(large.svg()).rootElement()
        let widths = [smallRoot, largeRoot].compactMap { $0.flatMap { XML.attribute($0, "width") }.flatMap(Double.init) }
        let heights = [smallRoot, largeRoot].compactMap { $0.flatMap { XML.attribute($0, "height") }.flatMap(Double.init) }
        #expect(widths.count == 2 && widths[1] >= widths[0] + 18 * 44)
        #expect(heights.count == 2 && heights[1] >= heights[0] + 28 * 24 - 120)
    }

    @Test("The HTML page embeds the SVG, the same on every call") func htmlPageEmbedsTheSVGAndIsDeterministic() throws {
        let page = map().html()
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<title>Weights — W_ih</title>"))
        #expect(page == map().html())
        let document = try XML.parse(page)
        #expect(try XML.elements(in: document, withAttribute: "data-row").count == 12)
        #expect(map().svg() == map().svg())
    }

    @Test("An empty heatmap is a valid document that says \"no data\"") func emptyHeatmapIsValidAndSaysNoData() throws {
        for heat in [Heatmap(title: "Empty", values: []), Heatmap(title: "Empty rows", values: [[], []])] {
            let svg = heat.svg()
            _ = try XML.parse(svg)
            _ = try XML.parse(heat.html())
            #expect(svg.contains(">no data</text>"))
        }
    }

    @Test("Titles, labels and group names are escaped") func labelsAreEscaped() throws {
        let heat = Heatmap(title: "<&>", rowLabels: ["\"r\""], columnLabels: ["'c'"], values: [[1]],
                           rowGroups: [.init(name: "g&", rows: 0..<1)])
        let svg = heat.svg()
        _ = try XML.parse(svg)
        #expect(svg.contains("&lt;&amp;&gt;") && svg.contains("&quot;r&quot;") && svg.contains("&#39;c&#39;"))
    }
}
