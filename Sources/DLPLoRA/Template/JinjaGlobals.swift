// JinjaGlobals.swift: the functions every chat template can call: Jinja2's range, namespace and dict,
// and transformers' raise_exception and strftime_now.
import Foundation

func jinjaGlobals() -> [String: JinjaValue] {
    [
        "range": .callable(JinjaCallable("range") { args, renderer in
            let bounds = try args.positional.map { v -> Int in
                guard let i = v.integer else { throw JinjaError(.type, line: 0, "'\(v.typeName)' object cannot be interpreted as an integer") }
                return i
            }
            let (start, stop, step): (Int, Int, Int)
            switch bounds.count {
            case 1: (start, stop, step) = (0, bounds[0], 1)
            case 2: (start, stop, step) = (bounds[0], bounds[1], 1)
            case 3: (start, stop, step) = (bounds[0], bounds[1], bounds[2])
            default: throw JinjaError(.type, line: 0, "range expected 1 to 3 arguments, got \(bounds.count)")
            }
            guard step != 0 else { throw JinjaError(.type, line: 0, "range() arg 3 must not be zero") }
            // the count in unsigned arithmetic: the span of two Ints always fits in a UInt
            let span: UInt = step > 0 ? (stop > start ? UInt(bitPattern: stop &- start) : 0) : (start > stop ? UInt(bitPattern: start &- stop) : 0)
            let count = span == 0 ? 0 : (span - 1) / step.magnitude + 1
            guard count <= UInt(renderer.options.maxIterations) else {
                throw JinjaError(.limit, line: 0, "range() of \(count) items is more than \(renderer.options.maxIterations) iterations")
            }
            try renderer.spend(Int(count), line: 0)
            // each item lies between start and stop, so the wrapping sum is exact
            return .list((0..<Int(count)).map { .int(start &+ $0 &* step) })
        }),
        "namespace": .callable(JinjaCallable("namespace") { args, renderer in
            try renderer.checkedNesting(renderer.makeNamespace(try mapping(args, "namespace")), line: 0)
        }),
        "dict": .callable(JinjaCallable("dict") { args, renderer in
            try renderer.checkedNesting(.dict(try mapping(args, "dict")), line: 0)
        }),
        "raise_exception": .callable(JinjaCallable("raise_exception") { args, renderer in
            throw JinjaError(.raised, line: 0, try args.value(0, "message").map { try renderer.str($0, line: 0) } ?? "")
        }),
        "strftime_now": .callable(JinjaCallable("strftime_now") { args, renderer in
            guard case let .string(format)? = args.value(0, "format") else { throw JinjaError(.type, line: 0, "strftime_now needs a format string") }
            return .string(try pythonStrftime(format, renderer.options.now))
        }),
    ]
}

/// The mapping of `dict(...)` and `namespace(...)`: the entries of mapping arguments, then the keywords.
private func mapping(_ args: JinjaArguments, _ function: String) throws -> JinjaDict {
    var d = JinjaDict()
    for p in args.positional {
        guard case let .dict(pairs) = p else { throw JinjaError(.type, line: 0, "\(function)() takes a mapping or keyword arguments") }
        for (k, v) in pairs.pairs { d[k] = v }
    }
    for (k, v) in args.keyword { d[k] = v }
    return d
}

/// time.strftime in UTC with the C locale's English names: %a %A %b %B %d %e %H %I %j %m %M %p %S %y %Y
/// %Z %z %%, and glibc's %-d style (no padding).
func pythonStrftime(_ format: String, _ date: Date) throws -> String {
    // UTC fields from the Unix time by arithmetic (Howard Hinnant's civil_from_days), without Calendar
    let seconds = Int(max(min(date.timeIntervalSince1970, 1e15), -1e15).rounded(.down))
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let secondOfDay = seconds - days * 86_400
    let (hour, minute, second) = (secondOfDay / 3600, secondOfDay % 3600 / 60, secondOfDay % 60)
    let weekday = ((days % 7) + 11) % 7                    // 1970-01-01 was a Thursday; 0 = Sunday
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYearFromMarch = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthFromMarch = (5 * dayOfYearFromMarch + 2) / 153
    let day = dayOfYearFromMarch - (153 * monthFromMarch + 2) / 5 + 1
    let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    let daysBeforeMonth = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
    let dayOfYear = daysBeforeMonth[month - 1] + day + (isLeap && month > 2 ? 1 : 0)
    let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    var out = ""
    var it = format.makeIterator()
    while let ch = it.next() {
        guard ch == "%" else { out.append(ch); continue }
        guard var spec = it.next() else { out.append("%"); break }
        var pad = true
        if spec == "-" {
            pad = false
            guard let s = it.next() else { out += "%-"; break }
            spec = s
        }
        func number(_ n: Int, _ width: Int, _ fill: Character = "0") -> String {
            let s = String(n)
            return pad && s.count < width ? String(repeating: fill, count: width - s.count) + s : s
        }
        switch spec {
        case "a": out += String(weekdays[weekday].prefix(3))
        case "A": out += weekdays[weekday]
        case "b", "h": out += String(months[month - 1].prefix(3))
        case "B": out += months[month - 1]
        case "d": out += number(day, 2)
        case "e": out += number(day, 2, " ")
        case "H": out += number(hour, 2)
        case "I": out += number(hour % 12 == 0 ? 12 : hour % 12, 2)
        case "j": out += number(dayOfYear, 3)
        case "m": out += number(month, 2)
        case "M": out += number(minute, 2)
        case "p": out += hour < 12 ? "AM" : "PM"
        case "S": out += number(second, 2)
        case "y": out += number(year % 100, 2)
        case "Y": out += String(year)
        case "Z": out += "UTC"
        case "z": out += "+0000"
        case "%": out += "%"
        default: throw JinjaError(.unsupported, line: 0, "strftime directive %\(spec) is not supported")
        }
    }
    return out
}
