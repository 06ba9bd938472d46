package io.tributary.io.redis;

import com.google.auto.value.AutoValue;
import java.io.Serializable;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisException;

/**
 * How every Tributary Redis writer connects and delivers: the endpoint (host, port, optional
 * password for {@code AUTH}, TLS, connect and read timeout) and the delivery policy (mutations per
 * pipelined round trip, attempts per batch on connection errors, the first retry's backoff, which
 * doubles up to 30 s). Immutable and serializable; {@link #pool()} opens a connection pool (one per
 * DoFn instance, closed in its teardown).
 *
 * <pre>{@code
 * RedisSettings.of("cache.internal", 6380).withPassword(secret).withSsl(true).withBatchSize(1000)
 * }</pre>
 *
 * <p>{@link #toString()} never shows the password.
 */
@AutoValue
public abstract class RedisSettings implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * Redis at {@code host:port}: no password, no TLS, a 5 s timeout, batches of 500, 5 attempts
   * with backoff from 100 ms.
   */
  public static RedisSettings of(String host, int port) {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("Redis host must be set");
    }
    if (port <= 0 || port > 65535) {
      throw new IllegalArgumentException("Redis port must be in 1..65535, got " + port);
    }
    return new AutoValue_RedisSettings.Builder()
        .setHost(host)
        .setPort(port)
        .setPassword(null)
        .setSsl(false)
        .setTimeout(Duration.standardSeconds(5))
        .setBatchSize(500)
        .setMaxAttempts(5)
        .setInitialBackoff(Duration.millis(100))
        .build();
  }

  public abstract String host();

  public abstract int port();

  abstract @Nullable String password();

  public abstract boolean ssl();

  /** Connect and read timeout. */
  public abstract Duration timeout();

  /** Mutations per pipelined round trip. */
  public abstract int batchSize();

  /** Attempts per batch on connection errors before the bundle fails. */
  public abstract int maxAttempts();

  /** Wait before the first retry; doubles with each, up to 30 s. */
  public abstract Duration initialBackoff();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setHost(String host);

    abstract Builder setPort(int port);

    abstract Builder setPassword(@Nullable String password);

    abstract Builder setSsl(boolean ssl);

    abstract Builder setTimeout(Duration timeout);

    abstract Builder setBatchSize(int n);

    abstract Builder setMaxAttempts(int n);

    abstract Builder setInitialBackoff(Duration d);

    abstract RedisSettings build();
  }

  /** Authenticates with this password; null or empty for none. */
  public RedisSettings withPassword(@Nullable String password) {
    return toBuilder().setPassword(password == null || password.isEmpty() ? null : password).build();
  }

  /** Connects over TLS (the JVM's default trust store verifies the server). */
  public RedisSettings withSsl(boolean ssl) {
    return toBuilder().setSsl(ssl).build();
  }

  /** Connect and read timeout (default 5 s). */
  public RedisSettings withTimeout(Duration timeout) {
    if (!timeout.isLongerThan(Duration.ZERO) || timeout.getMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("Redis timeout must be positive, got " + timeout);
    }
    return toBuilder().setTimeout(timeout).build();
  }

  /** Mutations per pipelined round trip (default 500). */
  public RedisSettings withBatchSize(int size) {
    if (size <= 0) {
      throw new IllegalArgumentException("Redis batch size must be positive, got " + size);
    }
    return toBuilder().setBatchSize(size).build();
  }

  /** Attempts per batch on connection errors before the bundle fails (default 5). */
  public RedisSettings withMaxAttempts(int attempts) {
    if (attempts <= 0) {
      throw new IllegalArgumentException("Redis max attempts must be positive, got " + attempts);
    }
    return toBuilder().setMaxAttempts(attempts).build();
  }

  /** Wait before the first retry; doubles with each (default 100 ms). */
  public RedisSettings withInitialBackoff(Duration backoff) {
    if (backoff.isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException("Redis initial backoff must not be negative, got " + backoff);
    }
    return toBuilder().setInitialBackoff(backoff).build();
  }

  /** A new connection pool to this endpoint; close it. */
  public JedisPool pool() {
    GenericObjectPoolConfig<Jedis> config = new GenericObjectPoolConfig<>();
    config.setMaxTotal(4);
    config.setTestOnBorrow(false);
    int millis = (int) timeout().getMillis();
    return new JedisPool(
        config,
        new HostAndPort(host(), port()),
        DefaultJedisClientConfig.builder()
            .password(password())
            .ssl(ssl())
            .connectionTimeoutMillis(millis)
            .socketTimeoutMillis(millis)
            .build());
  }

  /**
   * Fails fast when Redis does not answer a PING, with an {@link IllegalArgumentException} naming
   * the endpoint and {@code hint} (e.g. the options to set): a pipeline then fails at start-up
   * instead of retrying deep inside the runner.
   */
  public void checkReachable(String hint) {
    try (JedisPool pool = pool();
        Jedis jedis = pool.getResource()) {
      jedis.ping();
    } catch (JedisException e) {
      throw new IllegalArgumentException(
          "Redis at " + this + " does not answer (" + e.getMessage() + ")"
              + (hint.isEmpty() ? "" : ": " + hint),
          e);
    }
  }

  /** {@code host:port}, with {@code (tls)} and {@code (auth)} when on; never the password. */
  @Override
  public final String toString() {
    return host() + ":" + port() + (ssl() ? " (tls)" : "") + (password() != null ? " (auth)" : "");
  }
}
