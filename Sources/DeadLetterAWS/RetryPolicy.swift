import DeadLetterSupport

/// When to try a request again and how long to wait: the AWS SDKs' "standard" mode. Full jitter
/// (`random() × min(base × 2^retry, cap)`, so many clients throttled together spread out) and a retry quota
/// shared by every request of a run (500 tokens, 5 per retry, 1 back per success), so an outage stops a run
/// quickly instead of multiplying the load by the attempts.
public final class RetryPolicy: @unchecked Sendable {
    // @unchecked: `tokens` is touched only under `lock`.
    public let maxAttempts: Int
    public let baseDelay: Double
    public let maxDelay: Double
    private let random: @Sendable () -> Double
    private let lock = Lock()
    private var tokens: Int
    private static let quota = 500
    private static let retryCost = 5

    public init(maxAttempts: Int, baseDelay: Double = 0.25, maxDelay: Double = 20,
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.random = random
        tokens = Self.quota
    }

    /// Seconds to wait before retry number `retry` (1 for the first retry).
    public func delay(beforeRetry retry: Int) -> Double {
        random() * min(baseDelay * Double(1 << min(retry - 1, 30)), maxDelay)
    }

    /// Takes a retry token; false when the quota is spent (too many failures in this run: stop retrying).
    public func acquireRetry() -> Bool {
        lock.withLock {
            guard tokens >= Self.retryCost else { return false }
            tokens -= Self.retryCost
            return true
        }
    }

    public func recordSuccess() {
        lock.withLock { tokens = min(Self.quota, tokens + 1) }
    }

    /// Status codes and error codes worth another try: throttling, server faults, timeouts.
    public static func isRetryable(status: Int, code: String?) -> Bool {
        if let code, retryableCodes.contains(code) { return true }
        return status == 500 || status == 502 || status == 503 || status == 504 || status == 429
    }

    static let retryableCodes: Set<String> = [
        "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
        "PriorRequestNotComplete", "EC2ThrottledException", "RequestTimeout", "RequestTimeoutException",
        "InternalError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException",
    ]
}

/// Waits, in an async context, without holding a thread.
func sleep(seconds: Double) async {
    guard seconds > 0 else { return }
    try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
}
