import SwampBayes
import SwampRules
import SwampScan
import SwampServer
import SwampSpamd

/// TELL (`spamc -L spam|ham|forget`) learns into the Bayes store: the site
/// database, or with `--user-dbs` the sending user's own one (the name is
/// sanitised by the store, never used as a path as given). The store blocks
/// until the database answers; the server calls this on its own learning
/// threads, never on an event loop or the cooperative pool.
struct BayesTellLearner: MessageLearner {
    let configuration: Configuration
    let perUser: Bool

    func tell(message: [UInt8], user: SpamdUserName?, learn: SpamdMessageClass?, forget: Bool) throws
        -> (didSet: SpamdTellTargets, didRemove: SpamdTellTargets) {
        let bayes = try BayesSetup.open(configuration, user: perUser ? user?.string : nil)
        var didSet: SpamdTellTargets = []
        var didRemove: SpamdTellTargets = []
        if forget, try bayes.forget(message) == .forgotten { didRemove.insert(.local) }
        if let learn {
            switch try bayes.learn(message, as: learn == .spam ? .spam : .ham) {
            case .learned, .relearned: didSet.insert(.local)
            default: break
            }
        }
        return (didSet, didRemove)
    }
}
