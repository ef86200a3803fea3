import Foundation

/// The course homework's LSTM in float64, written out from the homework's weights (every
/// recurrent weight 0 but W_ch = -100; W_ix = 100, W_ox = 100, W_cx = 50; b_f = -100, b_i = 100):
/// an independent reference for the library's cells, traces and the parity task's targets.
/// With `rounded`, h is rounded to the nearest integer at every step before it feeds the next,
/// as the homework asks.
func homeworkReference(_ xs: [Double], rounded: Bool = false) -> [Double] {
    func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
    var h = 0.0, c = 0.0
    return xs.map { x in
        let f = sigmoid(0 * h + 0 * x - 100), i = sigmoid(0 * h + 100 * x + 100), o = sigmoid(0 * h + 100 * x + 0)
        c = f * c + i * tanh(-100 * h + 50 * x + 0)
        h = o * tanh(c)
        if rounded { h = h.rounded() }
        return h
    }
}
