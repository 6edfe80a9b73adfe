/// Exit statuses of the contract.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    case inputError = 1
    case malformedInStrictMode = 2
    /// `send`: done, but some items could not be delivered (they are in `send-failed/`).
    case undelivered = 3
    case usage = 64
}
