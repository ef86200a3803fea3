import CRecurrentKernels
import Testing
@testable import Recurrent

/// The two registration lists, `CellKind` in Swift and `body/cells.h` in C, name the same cells:
/// each kind's definition finds its own element-wise step by name, and no two share one.
@Suite("Cell registration")
struct CellRegistrationTests {
    @Test("Every cell kind's kernel is the C step registered under its name, each a different one")
    func everyKindFindsItsOwnKernel() {
        for kind in CellKind.allCases {
            #expect(kind.definition.kernel == rk_cell_named(kind.rawValue), "\(kind)")
            #expect(kind.definition.kernel >= 0, "\(kind)")
        }
        let ids = Set(CellKind.allCases.map(\.definition.kernel))
        #expect(ids.count == CellKind.allCases.count)
        #expect(ids == Set(0..<rk_cell(CellKind.allCases.count)))
    }

    @Test("A name the C list does not hold is -1, not another cell")
    func unknownNamesAreRefused() {
        #expect(rk_cell_named("peepholes") == -1)
        #expect(rk_cell_named("") == -1)
        #expect(rk_cell_named("LSTM") == -1)
    }
}
