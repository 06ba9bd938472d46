/**
 * Fenced Redis writes: {@link io.tributary.io.redis.RedisSettings} (endpoint, password, TLS,
 * batching, retries, backoff) and {@link io.tributary.io.redis.RedisSink}, the one writer of the
 * closed set of {@code RedisMutation}s (cache upsert and delete with TTL, feature upsert, latest-
 * value compare-and-set), idempotent and order-insensitive, with refusals to a failure output.
 * Artifact {@code tributary-io-redis}: core and Jedis.
 */
package io.tributary.io.redis;
