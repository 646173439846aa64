// ByteLevelAlphabet.swift: GPT-2's reversible map between bytes and printable Unicode characters, which
// byte-level BPE vocabularies are written in ("Ġ" is the space byte 0x20, "Ċ" is 0x0A).

enum ByteLevelAlphabet {
    /// byteToScalar[b] is the character that stands for byte b.
    static let byteToScalar: [Unicode.Scalar] = {
        var printable: [Int] = Array(33...126) + Array(161...172) + Array(174...255)
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next = 256
        for b in 0..<256 {
            if printable.contains(b) {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(UInt32(next))!
                next += 1
            }
        }
        printable.removeAll()
        return table
    }()

    static let scalarToByte: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (b, s) in byteToScalar.enumerated() { map[s.value] = UInt8(b) }
        return map
    }()

    /// The byte-level string of UTF-8 `bytes`.
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out = String.UnicodeScalarView()
        for b in bytes { out.append(byteToScalar[Int(b)]) }
        return String(out)
    }

    /// The bytes a byte-level string stands for; characters outside the alphabet are kept as UTF-8.
    static func decode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let b = scalarToByte[scalar.value] { out.append(b) } else { out.append(contentsOf: String(scalar).utf8) }
        }
        return out
    }
}
