import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Recurrent

@Suite struct LineChartTests {
    private func threeSeriesChart() -> LineChart {
        let a = LineChart.Series(name: "train", points: (0..<10).map { (x: Double($0), y: Double($0)) })
        let b = LineChart.Series(name: "valid", points: (0..<5).map { (x: Double($0), y: 2 * Double($0)) },
                                 style: .dashed)
        let c = LineChart.Series(name: "raw", values: (0..<20).map { Double($0) * 0.5 }, style: .faint)
        return LineChart(title: "Loss", subtitle: "LSTM 2x64", xLabel: "epoch", yLabel: "loss (nats)",
                         series: [a, b, c])
    }

    @Test("A three-series chart holds each series with its points and the axes' ranges") func threeSeriesChartHoldsThreeSeriesWithPointCountsAndRanges() throws {
        let document = try XML.parse(threeSeriesChart().svg())
        let series = try XML.elements(in: document, withAttribute: "data-series")
        #expect(series.compactMap { XML.attribute($0, "data-series") } == ["train", "valid", "raw"])
        #expect(series.compactMap { XML.attribute($0, "data-points") } == ["10", "5", "20"])
        let plot = try XML.elements(in: document, withAttribute: "data-x-range")
        #expect(plot.count == 1)
        #expect(plot.first.flatMap { XML.attribute($0, "data-x-range") } == "0 20")
        #expect(plot.first.flatMap { XML.attribute($0, "data-y-range") } == "0 10")
    }

    @Test("The SVG stands alone, with its title, background and axis labels") func svgIsStandaloneWithTitleBackgroundAndAxisLabels() throws {
        let svg = threeSeriesChart().svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"420\" viewBox=\"0 0 720 420\""))
        #expect(svg.contains("<title>Loss — LSTM 2x64</title>"))
        #expect(svg.contains("fill=\"#FFFFFF\""))
        #expect(svg.contains("font-family=\"sans-serif\""))
        #expect(svg.contains(">loss (nats)</text>"))
        #expect(svg.contains("rotate(-90)"))
        #expect(svg.contains("stroke-dasharray=\"6 4\""))
        #expect(svg.contains("stroke-opacity=\"0.3\""))
        let document = try XML.parse(svg)
        #expect(try XML.elements(in: document, named: "path").count == 3)
    }

    @Test("A log axis leaves out non-finite and non-positive points") func logAxisSkipsNonFiniteAndNonPositivePoints() throws {
        let points: [(x: Double, y: Double)] = [(1, 1), (2, .nan), (3, -1), (4, 0), (5, 0.01),
                                                (.infinity, 1), (6, .infinity), (.nan, 0.5)]
        let chart = LineChart(title: "Log", yScale: .log10,
                              series: [.init(name: "loss", points: points)])
        let svg = chart.svg()
        #expect(!svg.contains("nan") && !svg.contains("NaN") && !svg.contains("inf") && !svg.contains("Inf"))
        let document = try XML.parse(svg)
        let series = try XML.elements(in: document, withAttribute: "data-series")
        #expect(series.first.flatMap { XML.attribute($0, "data-points") } == "2")
        let plot = try XML.elements(in: document, withAttribute: "data-y-range")
        #expect(plot.first.flatMap { XML.attribute($0, "data-y-range") } == "0.01 1")
    }

    @Test("Reference lines are drawn and widen the range to include them") func referenceLinesAreDrawnAndWidenTheRange() throws {
        let chart = LineChart(title: "Criterion", yScale: .log10,
                              series: [.init(name: "loss", values: [1, 0.5, 0.2])],
                              referenceLines: [.init(value: 0.01, label: "criterion 0.01")])
        let document = try XML.parse(chart.svg())
        let references = try XML.elements(in: document, withAttribute: "data-reference")
        #expect(references.compactMap { XML.attribute($0, "data-reference") } == ["criterion 0.01"])
        let plot = try XML.elements(in: document, withAttribute: "data-y-range")
        #expect(plot.first.flatMap { XML.attribute($0, "data-y-range") } == "0.01 1")
    }

    @Test("A chart is the same on every call") func outputIsIdenticalAcrossCalls() {
        let chart = threeSeriesChart()
        #expect(chart.svg() == chart.svg())
        #expect(chart.svg() == threeSeriesChart().svg())
    }

    @Test("An empty chart is a valid document that says \"no data\"") func emptyChartIsValidAndSaysNoData() throws {
        for chart in [LineChart(title: "Empty"),
                      LineChart(title: "All NaN", series: [.init(name: "x", values: [.nan, .nan])]),
                      LineChart(title: "Log empty", xScale: .log10, yScale: .log10, series: [.init(name: "x", points: [])])] {
            let svg = chart.svg()
            _ = try XML.parse(svg)
            #expect(svg.contains(">no data</text>"))
            #expect(!svg.contains("nan") && !svg.contains("inf"))
        }
    }

    @Test("Titles, axis labels and series names are escaped") func textIsEscapedInTitlesLabelsAndSeriesNames() throws {
        let chart = LineChart(title: "a<b & \"c\" 'd'", xLabel: "x>y", yLabel: "<y>",
                              series: [.init(name: "s&<\"'>", values: [1, 2])])
        let svg = chart.svg()
        #expect(svg.contains("a&lt;b &amp; &quot;c&quot; &#39;d&#39;"))
        let document = try XML.parse(svg)
        let series = try XML.elements(in: document, withAttribute: "data-series")
        #expect(series.first.flatMap { XML.attribute($0, "data-series") } == "s&<\"'>")
    }

    @Test("Downsampling 100,000 points keeps each column's minimum and maximum") func downsampleKeepsMinimumAndMaximumOfHundredThousandPoints() {
        var points = (0..<100_000).map { (x: Double($0), y: Double(($0 * 7919) % 1000) / 1000) }
        points[31_337].y = -5
        points[77_777].y = 9
        let kept = LineChart.downsample(points, columns: 600)
        #expect(kept.count <= 1200 && kept.count >= 600)
        #expect(kept.contains { $0.x == 31_337 && $0.y == -5 })
        #expect(kept.contains { $0.x == 77_777 && $0.y == 9 })
        #expect(zip(kept, kept.dropFirst()).allSatisfy { $0.x < $1.x })
    }

    @Test("Long series are downsampled in the SVG but keep their extremes") func longSeriesAreDownsampledInTheSVGButKeepTheirExtremes() throws {
        var values = (0..<100_000).map { Double(($0 * 7919) % 1000) / 1000 }
        values[31_337] = -5
        values[77_777] = 9
        let chart = LineChart(title: "Long", series: [.init(name: "long", values: values)])
        let svg = chart.svg()
        let document = try XML.parse(svg)
        let series = try XML.elements(in: document, withAttribute: "data-series")
        let count = series.first.flatMap { XML.attribute($0, "data-points") }.flatMap { Int($0) } ?? 0
        #expect(count > 100 && count <= LineChart.downsampleThreshold)
        let plot = try XML.elements(in: document, withAttribute: "data-y-range")
        #expect(plot.first.flatMap { XML.attribute($0, "data-y-range") } == "-5 10")
        #expect(svg.utf8.count < 60_000)
        let path = try XML.elements(in: document, named: "path").first
        let steps = path.flatMap { XML.attribute($0, "d") }?.split(separator: "L").count ?? 0
        #expect(steps == count)
    }

    @Test("Downsampling leaves short series as they are and drops points that cannot be drawn") func downsampleLeavesShortSeriesAndDropsUndrawablePoints() {
        let points: [(x: Double, y: Double)] = [(0, 1), (1, .nan), (2, 3)]
        let kept = LineChart.downsample(points, columns: 10)
        #expect(kept.map(\.x) == [0, 2])
        let logKept = LineChart.downsample([(x: -1, y: 1), (x: 10, y: 2)], columns: 10, xScale: .log10)
        #expect(logKept.map(\.x) == [10])
    }

    @Test("Values near the largest doubles land where they belong, without non-finite text") func extremeMagnitudesLandOnTheFrameWithoutNonFiniteText() throws {
        let points: [(x: Double, y: Double)] = [(-1e308, 1e308), (1e308, -1e308), (0, Double.leastNonzeroMagnitude)]
        let many = (0..<3000).map { (x: $0 % 2 == 0 ? -1e308 : 1e308, y: Double($0)) }
        let linear = LineChart(title: "Huge", series: [.init(name: "h", points: points), .init(name: "m", points: many)])
        let log = LineChart(title: "Huge log", xScale: .log10, yScale: .log10, series: [.init(name: "h", points: points)])
        for chart in [linear, log] {
            let svg = chart.svg()
            _ = try XML.parse(svg)
            #expect(!svg.contains("nan") && !svg.contains("inf") && !svg.contains("NaN") && !svg.contains("Inf"))
        }
        // The span 2e308 overflows; the points must still reach the plot's corners and centre. The
        // frame: left 79.6 (the widest tick label + 40), top 50, right 648.8 (width 720 less the
        // legend), bottom 370 (height 420 - 50), centre (364.2, 210). The 3000 points of "m" lie within
        // 3000 of 0, which is the centre line at this scale, drawn from the left edge to the right.
        let document = try XML.parse(linear.svg())
        #expect(try XML.elements(in: document, withAttribute: "data-x-range").first.flatMap { XML.attribute($0, "data-x-range") }
                == "-1e308 1e308")
        let paths = try XML.elements(in: document, named: "path").compactMap { XML.attribute($0, "d") }
        #expect(paths == ["M79.6 50L648.8 370L364.2 210", "M79.6 210L648.8 210"])
        // On log axes no point of "h" is positive on both: nothing is drawn, and the chart says so.
        #expect(log.svg().contains(">no data</text>"))
        // A heatmap over ±1e308, whose span overflows: the ends should take the ends of the scale and 0
        // its middle. Today the span is infinite: 1e308 is drawn as missing and the rest at the bottom.
        let heat = Heatmap(title: "Huge", values: [[1e308, -1e308], [Double.leastNonzeroMagnitude, 0]], colorScale: .sequential())
        let cells = try XML.elements(in: try XML.parse(heat.svg()), withAttribute: "data-row")
        withKnownIssue("ColorScale divides by hi - lo, which overflows past ±8.9e307 (held back with the library frozen for the fuzz counts)") {
            #expect(cells.compactMap { XML.attribute($0, "fill") } == ["#FDE725", "#440154", "#21908C", "#21908C"])
        }
        #expect(cells.compactMap { XML.attribute($0, "data-value") } == ["1e308", "-1e308", "4.94066e-324", "0"])
        #expect(LineChart.downsample(many, columns: 10).count <= 20)
    }
}
