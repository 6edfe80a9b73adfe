/// Exit statuses of the contract.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    case inputError = 1
    case malformedInStrictMode = 2
    case usage = 64
}
