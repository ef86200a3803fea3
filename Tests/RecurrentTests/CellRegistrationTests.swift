import CRecurrentKernels
import Foundation
import Testing
@testable import Recurrent

/// The cells are listed once, in C (`body/cells.h`); `CellKind` reads that list.
@Suite("Cell registration")
struct CellRegistrationTests {
    @Test("Every registered cell is a kind, found by its name, its kernel its own id; the shipped constants among them")
    func everyRegisteredCellIsAKind() throws {
        #expect(CellKind.allCases.count == Int(rk_cell_count()))
        for (id, kind) in CellKind.allCases.enumerated() {
            #expect(kind.definition.kernel == rk_cell(id), "\(kind)")
            #expect(CellKind(rawValue: kind.rawValue) == kind)
            #expect(kind.definition.name == kind.rawValue)
            #expect(kind.gateCount >= 1 && !kind.summary.isEmpty, "\(kind)")
        }
        #expect(CellKind.allCases.map(\.rawValue).prefix(5) == ["rnn", "gated", "lstm", "gru", "peephole"])
        #expect(CellKind.lstm.torchModuleName == "nn.LSTM" && CellKind.lstm.gateCount == 4 && CellKind.lstm.hasCellState)
        #expect(CellKind.gru.definition.keepsRecurrentPartApart && CellKind.gru.definition.hasDirectStateGradient)
        #expect(CellKind.peephole.unitVectorNames == ["weight_ci", "weight_cf", "weight_co"])
        #expect(CellKind.rnn.usesNonlinearity && !CellKind.lstm.usesNonlinearity)
        #expect(CellKind.lstm.definition.allowsProjection && !CellKind.peephole.definition.allowsProjection)
    }

    @Test("A name the C list does not hold is no kind: nil, -1, a decoding error")
    func unknownNamesAreRefused() throws {
        #expect(CellKind(rawValue: "peepholes") == nil)
        #expect(CellKind(rawValue: "LSTM") == nil)
        #expect(rk_cell_named("") == -1)
        #expect(rk_cell_info_of(-1) == nil && rk_cell_info_of(rk_cell_count()) == nil)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([CellKind].self, from: Data(#"["lstm2"]"#.utf8)) }
        #expect(try JSONDecoder().decode([CellKind].self, from: Data(#"["gru"]"#.utf8)) == [.gru])
        #expect("\(CellKind.gated)" == "gated")
    }
}
