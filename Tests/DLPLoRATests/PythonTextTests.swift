// PythonTextTests.swift: the Python behaviours the template interpreter rebuilds, checked over many
// values against an independent reference: strftime_now's date fields against Foundation's Calendar
// (leap years, centuries, dates before 1970), and float repr's shortest round-trip digits.
import Foundation
import Testing
@testable import DLPLoRA

@Suite struct PythonTextTests {
    @Test func strftimeFieldsMatchTheCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE EEEE MMM MMMM dd MM yyyy HH mm ss DDD a"
        var seconds: Double = -2_208_988_800          // 1900-01-01
        while seconds < 4_102_444_800 {                // 2100-01-01
            let date = Date(timeIntervalSince1970: seconds)
            let ours = try pythonStrftime("%a %A %b %B %d %m %Y %H %M %S %j %p", date)
            #expect(ours == formatter.string(from: date), "\(seconds)")
            seconds += 86_400 * 37 + 3_607             // walks every month, weekday and hour
        }
        let now = Date(timeIntervalSince1970: 1796061909)
        #expect(try pythonStrftime("%-d %B %Y, %y %e %I %Z %z %%", now) == "30 November 2026, 26 30 06 UTC +0000 %")
        #expect(throws: JinjaError.self) { try pythonStrftime("%Q", now) }
    }

    @Test func floatReprRoundTripsInPythonsLayout() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let d = Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF) * (Bool.random() ? 1 : -1)
            let text = pythonFloatRepr(d)
            #expect(Double(text) == d, "\(text)")
            let exponentForm = text.contains("e")
            let magnitude = abs(d)
            #expect(exponentForm == (magnitude != 0 && (magnitude < 1e-4 || magnitude >= 1e16)), "\(text)")
            #expect(exponentForm || text.contains("."), "\(text)")
        }
        #expect(pythonFloatRepr(1e22) == "1e+22" && pythonFloatRepr(1.5e-7) == "1.5e-07" && pythonFloatRepr(123456789012345.6) == "123456789012345.6")
        #expect(pythonFloatRepr(0.1) == "0.1" && pythonFloatRepr(-0.0) == "-0.0" && pythonFloatRepr(.infinity) == "inf")
    }
}
