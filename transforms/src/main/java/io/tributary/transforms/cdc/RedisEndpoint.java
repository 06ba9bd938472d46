package io.tributary.transforms.cdc;

import java.io.Serializable;
import java.util.Objects;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

/**
 * Where a Redis sink connects: host, port, optional password (Redis {@code AUTH}), TLS and the
 * socket timeout. Immutable and serializable; {@link #pool()} opens a connection pool (one per DoFn
 * instance, closed in its teardown).
 *
 * <pre>{@code
 * RedisEndpoint.of("cache.internal", 6380).withPassword(secret).withSsl(true)
 * }</pre>
 */
public final class RedisEndpoint implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String host;
  private final int port;
  private final String password;
  private final boolean ssl;
  private final int timeoutMillis;

  private RedisEndpoint(String host, int port, String password, boolean ssl, int timeoutMillis) {
    this.host = host;
    this.port = port;
    this.password = password;
    this.ssl = ssl;
    this.timeoutMillis = timeoutMillis;
  }

  /** Redis at {@code host:port}, no password, no TLS, a 5 s timeout. */
  public static RedisEndpoint of(String host, int port) {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("Redis host must be set");
    }
    if (port <= 0 || port > 65535) {
      throw new IllegalArgumentException("Redis port must be in 1..65535, got " + port);
    }
    return new RedisEndpoint(host, port, null, false, 5000);
  }

  /** Authenticates with this password; null or empty for none. */
  public RedisEndpoint withPassword(String password) {
    return new RedisEndpoint(
        host, port, password == null || password.isEmpty() ? null : password, ssl, timeoutMillis);
  }

  /** Connects over TLS (the JVM's default trust store verifies the server). */
  public RedisEndpoint withSsl(boolean ssl) {
    return new RedisEndpoint(host, port, password, ssl, timeoutMillis);
  }

  /** Connect and read timeout in milliseconds (default 5000). */
  public RedisEndpoint withTimeoutMillis(int timeoutMillis) {
    if (timeoutMillis <= 0) {
      throw new IllegalArgumentException("Redis timeout must be positive, got " + timeoutMillis);
    }
    return new RedisEndpoint(host, port, password, ssl, timeoutMillis);
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public boolean ssl() {
    return ssl;
  }

  boolean hasPassword() {
    return password != null;
  }

  /** A new connection pool to this endpoint; close it. */
  public JedisPool pool() {
    GenericObjectPoolConfig<Jedis> config = new GenericObjectPoolConfig<>();
    config.setMaxTotal(4);
    config.setTestOnBorrow(false);
    return new JedisPool(
        config,
        new HostAndPort(host, port),
        DefaultJedisClientConfig.builder()
            .password(password)
            .ssl(ssl)
            .connectionTimeoutMillis(timeoutMillis)
            .socketTimeoutMillis(timeoutMillis)
            .build());
  }

  /** {@code host:port}, with {@code (tls)} when TLS is on; never the password. */
  @Override
  public String toString() {
    return host + ":" + port + (ssl ? " (tls)" : "") + (password != null ? " (auth)" : "");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RedisEndpoint e
        && e.host.equals(host)
        && e.port == port
        && Objects.equals(e.password, password)
        && e.ssl == ssl
        && e.timeoutMillis == timeoutMillis;
  }

  @Override
  public int hashCode() {
    return Objects.hash(host, port, password, ssl, timeoutMillis);
  }
}
