// JinjaScope.swift: where names live during a render: one scope per frame (the globals, the render's
// variables and top-level sets, a loop iteration, a macro call), each looked up outward.

/// The scope a macro was defined in, emptied when the render ends (the scope holds the macro).
final class JinjaMacroScope {
    var scope: JinjaScope?
    init(_ scope: JinjaScope) { self.scope = scope }
}

/// Names in one frame: the globals, the render's variables (and top-level sets), a loop iteration or a
/// macro call. A lookup walks outward.
final class JinjaScope {
    var names: JinjaNames
    let parent: JinjaScope?
    init(_ names: [String: JinjaValue] = [:], parent: JinjaScope?) {
        self.names = JinjaNames(names)
        self.parent = parent
    }

    func lookup(_ name: String) -> JinjaValue? {
        var scope: JinjaScope? = self
        while let s = scope {
            if let v = s.names[name] { return v }
            scope = s.parent
        }
        return nil
    }
}

/// The names of one scope: most hold one to three (a loop iteration's target and `loop`), found
/// faster by comparison than by hashing; a scope with many names (the render's variables) is hashed.
struct JinjaNames {
    private var keys: [String] = []
    private var values: [JinjaValue] = []
    private var index: [String: Int]? = nil

    init(_ names: [String: JinjaValue]) {
        for (k, v) in names { self[k] = v }
    }

    subscript(name: String) -> JinjaValue? {
        get {
            if let index { return index[name].map { values[$0] } }
            return keys.firstIndex(of: name).map { values[$0] }
        }
        set {
            let position = index.map { $0[name] } ?? keys.firstIndex(of: name)
            if let i = position {
                if let newValue { values[i] = newValue; return }
                keys.remove(at: i)
                values.remove(at: i)
                index = keys.count > 8 ? Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) }) : nil
            } else if let newValue {
                keys.append(name)
                values.append(newValue)
                if index != nil { index?[name] = keys.count - 1 } else if keys.count > 8 {
                    index = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
                }
            }
        }
    }
}
