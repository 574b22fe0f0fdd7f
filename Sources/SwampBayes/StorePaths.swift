// Where Bayes databases live: `bayes_path` for the site, and one file per
// user beside it when per-user databases are on (`--user NAME`,
// `swamp serve --user-dbs`). A user name never becomes a path.

import Foundation

public enum BayesPaths {
    /// `$HOME` as Unix programs read it (Foundation's NSHomeDirectory on
    /// Linux asks the password database and ignores it).
    public static func homeDirectory() -> String {
        if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty { return home }
        return NSHomeDirectory()
    }

    /// The database file for `bayes_path` (SpamAssassin's default is
    /// ~/.spamassassin/bayes; swamp's is ~/.swamp/bayes.sqlite). A
    /// `bayes_path` without an extension gets `.sqlite`.
    public static func database(bayesPath: String?, home: String = BayesPaths.homeDirectory()) -> String {
        var p = bayesPath ?? "~/.swamp/bayes"
        if p.hasPrefix("~/") { p = (home as NSString).appendingPathComponent(String(p.dropFirst(2))) }
        if (p as NSString).pathExtension.isEmpty { p += ".sqlite" }
        return p
    }

    /// The per-user database beside the site one:
    /// `<dir of bayes_path>/users/<name>.sqlite`. Nil when the name is
    /// empty or could not be made safe.
    public static func userDatabase(bayesPath: String?, user: String, home: String = BayesPaths.homeDirectory()) -> String? {
        guard let safe = sanitisedUserName(user) else { return nil }
        let base = database(bayesPath: bayesPath, home: home)
        let dir = ((base as NSString).deletingLastPathComponent as NSString).appendingPathComponent("users")
        return (dir as NSString).appendingPathComponent(safe + ".sqlite")
    }

    /// Letters, digits and `._@+-` kept; anything else (`/`, NUL, spaces,
    /// non-ASCII) becomes `_`; a leading dot too; at most 64 bytes.
    public static func sanitisedUserName(_ user: String) -> String? {
        var out = ""
        for scalar in user.unicodeScalars.prefix(64) {
            let c = Character(scalar)
            if scalar.isASCII && (c.isLetter || c.isNumber || "._@+-".contains(c)) { out.append(c) } else { out.append("_") }
        }
        if out.hasPrefix(".") { out = "_" + out.dropFirst() }
        return out.isEmpty ? nil : out
    }
}
