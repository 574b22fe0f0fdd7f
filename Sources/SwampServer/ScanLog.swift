import Foundation
import Logging
import SwampRules
import SwampSpamd

/// The log lines an administrator greps, worded as spamd's so that existing
/// log watchers keep working:
///
///     result: Y 1000 - GTUBE,NO_RECEIVED scantime=0.1,size=1234,user=alice,...
enum ScanLog {
    static func result(_ s: ScanSummary, user: SpamdUserName?, peer: PeerInfo, logger: Logger) {
        // Formatting costs more than the rest of a reply's bookkeeping.
        guard logger.logLevel <= .info else { return }
        // spamd: sprintf("%s %2d - %s %s", $flag, $score, $tests, $extra).
        let flag = s.isSpam ? "Y" : "."
        let score = s.score.isFinite ? Int(s.score.rounded(.towardZero)) : 0
        let scoreText = score < 10 && score > -10 ? " \(score)" : "\(score)"
        let tests = s.tests.isEmpty ? "" : s.tests.joined(separator: ",")
        var extra = [
            "scantime=" + CFormat.double("%.1f", s.scanTime.seconds),
            "size=\(s.size)",
            "user=\(user?.string ?? "(none)")",
            "required_score=" + CFormat.double("%.1f", s.requiredScore),
            "rhost=\(peer)",
        ]
        if let mid = s.messageID { extra.append("mid=\(printable(mid))") }
        logger.info("result: \(flag) \(scoreText) - \(tests) \(extra.joined(separator: ","))")
    }

    /// Client-chosen text in a log line: printable ASCII, bounded.
    static func printable(_ text: String, limit: Int = 200) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            out.unicodeScalars.append((0x21...0x7E).contains(scalar.value) && scalar != "," ? scalar : "_")
        }
        return out
    }
}
