package io.tributary.io.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The Lua scripts that make Redis writes fenced and atomic: each runs as one Redis command, so no
 * other client sees or interleaves with a half-applied change.
 *
 * <p>Versions are compared byte-wise by a Lua function rather than with Lua's {@code <} on strings,
 * which uses the server's collation locale.
 */
final class RedisScripts {
  private RedisScripts() {}

  private static final String NEWER =
      "local function newer(a, b)\n"
          + "  local n = math.min(#a, #b)\n"
          + "  for i = 1, n do\n"
          + "    local x, y = string.byte(a, i), string.byte(b, i)\n"
          + "    if x ~= y then return x > y end\n"
          + "  end\n"
          + "  return #a > #b\n"
          + "end\n";

  /** {@link RedisSink#featureNewer}: same origin's log by order key, else byte-wise. */
  private static final String FEATURE_NEWER =
      NEWER
          + "local function fnewer(a, b)\n"
          + "  if string.sub(a, 21, 21) == '@' and string.sub(b, 21, 21) == '@' then\n"
          + "    local ka = string.match(a, '@([^@]*)$')\n"
          + "    local kb = string.match(b, '@([^@]*)$')\n"
          + "    if string.sub(a, 22, #a - #ka - 1) == string.sub(b, 22, #b - #kb - 1) then\n"
          + "      return newer(ka, kb)\n"
          + "    end\n"
          + "  end\n"
          + "  return newer(a, b)\n"
          + "end\n";

  private static final String SET_FENCE =
      "local function fence(key, version, pttl)\n"
          + "  if pttl > 0 then redis.call('SET', key, version, 'PX', pttl)\n"
          + "  else redis.call('SET', key, version) end\n"
          + "end\n";

  /**
   * A cache upsert or delete. KEYS: data key, fence key. ARGV: {@code u} or {@code d}, the order
   * key, data TTL ms (0: none), fence TTL ms (0: none), {@code s} (string JSON) or {@code h}
   * (hash), then the JSON text or the hash's field/value pairs. Returns 0 when the fence holds an
   * equal or newer version (nothing changed), 1 for an applied upsert, 2 for an applied delete.
   */
  static final String CACHE =
      NEWER
          + SET_FENCE
          + "local current = redis.call('GET', KEYS[2])\n"
          + "if current and not newer(ARGV[2], current) then return 0 end\n"
          + "local fttl = tonumber(ARGV[4])\n"
          + "redis.call('DEL', KEYS[1])\n"
          + "if ARGV[1] == 'd' then\n"
          + "  fence(KEYS[2], ARGV[2], fttl)\n"
          + "  return 2\n"
          + "end\n"
          + "if ARGV[5] == 'h' then\n"
          + "  if #ARGV > 5 then redis.call('HSET', KEYS[1], unpack(ARGV, 6)) end\n"
          + "else\n"
          + "  redis.call('SET', KEYS[1], ARGV[6])\n"
          + "end\n"
          + "local ttl = tonumber(ARGV[3])\n"
          + "if ttl > 0 and redis.call('EXISTS', KEYS[1]) == 1 then\n"
          + "  redis.call('PEXPIRE', KEYS[1], ttl)\n"
          + "end\n"
          + "fence(KEYS[2], ARGV[2], fttl)\n"
          + "return 1\n";

  /**
   * Feature values of one entity. KEYS: the entity hash. ARGV: the hash TTL ms (0: none), then per
   * feature four values: name, version, {@code 1} if null else {@code 0}, value. A feature is
   * written (or, when null, removed) only if its version is newer ({@link
   * RedisSink#featureNewer}) than the one in field {@code <name>:__t}; returns how many features
   * were written.
   */
  static final String FEATURES =
      FEATURE_NEWER
          + "local applied = 0\n"
          + "for i = 2, #ARGV, 4 do\n"
          + "  local vf = ARGV[i] .. ':__t'\n"
          + "  local current = redis.call('HGET', KEYS[1], vf)\n"
          + "  if (not current) or fnewer(ARGV[i + 1], current) then\n"
          + "    redis.call('HSET', KEYS[1], vf, ARGV[i + 1])\n"
          + "    if ARGV[i + 2] == '1' then redis.call('HDEL', KEYS[1], ARGV[i])\n"
          + "    else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 3]) end\n"
          + "    applied = applied + 1\n"
          + "  end\n"
          + "end\n"
          + "local ttl = tonumber(ARGV[1])\n"
          + "if applied > 0 and ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end\n"
          + "return applied\n";

  /**
   * The latest value of something (e.g. a ticker's newest window). KEYS: the hash, the index set
   * (empty string: none). ARGV: version, TTL ms (0: none), index member, then field/value pairs.
   * The hash is replaced by the fields, with the version in field {@code __v}, only if the version
   * is byte-wise greater than the stored one; then the member is added to the index set. Returns 1
   * when written, 0 when the stored version is equal or newer.
   */
  static final String LATEST =
      NEWER
          + "local current = redis.call('HGET', KEYS[1], '__v')\n"
          + "if current and not newer(ARGV[1], current) then return 0 end\n"
          + "redis.call('DEL', KEYS[1])\n"
          + "redis.call('HSET', KEYS[1], '__v', ARGV[1])\n"
          + "if #ARGV > 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 4)) end\n"
          + "local ttl = tonumber(ARGV[2])\n"
          + "if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end\n"
          + "if KEYS[2] ~= '' then redis.call('SADD', KEYS[2], ARGV[3]) end\n"
          + "return 1\n";

  /** The SHA-1 Redis knows a script by (EVALSHA). */
  static String sha1(String script) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-1").digest(script.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is not available", e);
    }
  }

  /** One script call: the script's body, its keys and arguments. */
  record Call(String script, List<String> keys, List<String> args) {}
}
