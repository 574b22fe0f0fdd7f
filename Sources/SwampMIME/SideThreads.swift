import Dispatch

/// Starts work on a thread other than the caller's, which waits for it
/// (`SideResult`): a scan with a core to spare renders its body there
/// (`Views`) and runs some of its rules there (`RuleSet.evaluate`). The
/// work never waits for anything those threads run.
public typealias SideThreads = @Sendable (_ work: @escaping @Sendable () -> Void) -> Void

/// A value computed by work handed to `SideThreads`, waited for on read.
/// The group's wait orders the write before the read.
public final class SideResult<T>: @unchecked Sendable {
    private var result: T?
    private let group = DispatchGroup()

    public init(on threads: SideThreads, _ work: @escaping @Sendable () -> T) {
        group.enter()
        threads {
            self.result = work()
            self.group.leave()
        }
    }

    public var value: T {
        group.wait()
        return result!
    }
}
