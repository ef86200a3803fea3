import Foundation
import Testing
@testable import Recurrent

@Suite struct AxisTests {
    private func labels(_ lo: Double, _ hi: Double, _ scale: AxisScale) -> [String] {
        Axis.ticks(from: lo, to: hi, scale: scale).ticks.map(\.label)
    }

    @Test("A linear axis over 0...1 has ticks every 0.2") func unitRangeLinearTicksStepByPointTwo() {
        let axis = Axis.ticks(from: 0, to: 1, scale: .linear)
        #expect(axis.ticks.map(\.label) == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
        #expect(axis.lo == 0 && axis.hi == 1)
        #expect(abs(axis.ticks[3].value - 0.6) < 1e-12)
    }

    @Test("Linear ticks step by 1, 2 or 5 times a power of ten, about six of them") func linearTicksPickOneTwoFiveStepsNearSixTicks() {
        #expect(labels(0, 7, .linear) == ["0", "2", "4", "6", "8"])
        #expect(labels(0, 3, .linear) == ["0", "0.5", "1", "1.5", "2", "2.5", "3"])
        #expect(labels(-1, 1, .linear) == ["-1", "-0.5", "0", "0.5", "1"])
        #expect(labels(0, 5000, .linear) == ["0", "1000", "2000", "3000", "4000", "5000"])
        #expect(labels(0, 19, .linear) == ["0", "5", "10", "15", "20"])
    }

    @Test("Linear ticks cover the data's range") func linearTicksCoverTheDataRange() {
        let axis = Axis.ticks(from: 0.37, to: 9.81, scale: .linear)
        #expect(axis.lo <= 0.37 && axis.hi >= 9.81)
        #expect((4...8).contains(axis.ticks.count))
    }

    @Test("Tiny linear steps get scientific labels") func tinyLinearStepsUseScientificLabels() {
        #expect(labels(0, 1e-6, .linear) == ["0", "2e-7", "4e-7", "6e-7", "8e-7", "1e-6"])
    }

    @Test("Reversed, single-value and non-finite linear ranges still get ticks") func reversedDegenerateAndNonFiniteLinearRangesStillGiveTicks() {
        #expect(labels(1, 0, .linear) == labels(0, 1, .linear))
        let flat = Axis.ticks(from: 5, to: 5, scale: .linear)
        #expect(flat.lo < 5 && flat.hi > 5 && flat.ticks.count >= 2)
        #expect(labels(.nan, 3, .linear) == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
        #expect(Axis.ticks(from: 0, to: 0, scale: .linear).ticks.count >= 2)
    }

    @Test("Log ticks over many decades are powers of ten") func logTicksOverManyDecadesArePowersOfTen() {
        let axis = Axis.ticks(from: 1e-26, to: 1, scale: .log10)
        let exponents = Array(stride(from: -27, through: 0, by: 3))
        #expect(axis.ticks.map(\.value) == exponents.map { pow(10, Double($0)) })
        #expect(axis.ticks.first?.label == "1e-27")
        #expect(axis.ticks.map(\.label).suffix(3) == ["1e-6", "0.001", "1"])
        #expect(axis.lo <= 1e-26 && axis.hi == 1)
    }

    @Test("Log ticks over a few decades label every power") func logTicksOverFewDecadesLabelEveryPower() {
        #expect(labels(0.001, 1000, .log10) == ["0.001", "0.01", "0.1", "1", "10", "100", "1000"])
        #expect(labels(1e-8, 1e-3, .log10) == ["1e-8", "1e-7", "1e-6", "1e-5", "1e-4", "0.001"])
    }

    @Test("Log ticks within two decades add 2 and 5 times each power") func logTicksWithinTwoDecadesAddTwoAndFive() {
        #expect(labels(0.3, 8, .log10) == ["0.1", "0.2", "0.5", "1", "2", "5", "10"])
    }

    @Test("Ranges near the largest doubles stay finite and keep their ends") func extremeRangesStayFiniteAndPlaceTheirEnds() {
        // Log: 2 to 5e307 rounds out within 10^308 (10^310 would be infinite).
        let log = Axis.ticks(from: 2, to: 5e307, scale: .log10)
        #expect(log.hi.isFinite && log.hi >= 5e307 && log.lo <= 2)
        // Linear: a span of ±1.7e308 overflows; the ends still map to the ends of the axis.
        let linear = Axis.ticks(from: -1.7e308, to: 1.7e308, scale: .linear)
        let map = AxisMapping(ticks: linear, scale: .linear, start: 0, end: 100)
        #expect(map.position(linear.lo) == 0 && map.position(linear.hi) == 100 && map.position(0) == 50)
    }

    @Test("A log axis with no positive bound falls back to 1...10") func logAxisWithoutPositiveBoundsFallsBackToOneToTen() {
        let axis = Axis.ticks(from: -5, to: 0, scale: .log10)
        #expect(axis.lo == 1 && axis.hi == 10)
    }
}
