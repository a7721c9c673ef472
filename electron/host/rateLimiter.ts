/**
 * A token bucket (https://en.wikipedia.org/wiki/Token_bucket): `burst` tokens to start with, one
 * more every 1/`perSecond` s up to `burst`; each request takes one. It lets a renderer fire the
 * dozen requests a view needs at once while keeping a runaway or hostile client from flooding the
 * host (each request may read run folders or queue training).
 */
export class RateLimiterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RateLimiterError';
  }
}

export interface RateLimit {
  /** Requests allowed at once, after a quiet period. */
  burst: number;
  /** Sustained requests per second. */
  perSecond: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limit.burst >= 1) || !(limit.perSecond > 0)) {
      throw new RateLimiterError(
        `A rate limit needs burst ≥ 1 and perSecond > 0, found burst ${limit.burst} and perSecond ${limit.perSecond}.`,
      );
    }
    this.tokens = limit.burst;
    this.updatedAt = now();
  }

  /** Takes a token if there is one; false means "over the limit, refuse this request". */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.limit.perSecond);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until the next token, for the refusal message. */
  msUntilNextToken(): number {
    return Math.max(0, Math.ceil(((1 - this.tokens) / this.limit.perSecond) * 1000));
  }
}
