package io.tributary.pipelines.io;

import io.tributary.io.redis.RedisSettings;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** How a pipeline reaches Redis: the same options wherever a pipeline writes to Redis. */
public interface RedisOptions extends PipelineOptions {
  @Description("Redis host.")
  @Default.String("127.0.0.1")
  String getRedisHost();

  void setRedisHost(String host);

  @Description("Redis port.")
  @Default.Integer(6379)
  int getRedisPort();

  void setRedisPort(int port);

  @Description("Redis password (AUTH); empty for none. Never serialized with the options nor shown in display data.")
  @Default.String("")
  @com.fasterxml.jackson.annotation.JsonIgnore
  String getRedisPassword();

  void setRedisPassword(String password);

  @Description("Connect to Redis over TLS.")
  @Default.Boolean(false)
  boolean getRedisSsl();

  void setRedisSsl(boolean ssl);

  @Description("Redis connect and read timeout (e.g. 5s).")
  @Default.String("5s")
  String getRedisTimeout();

  void setRedisTimeout(String timeout);

  @Description("Redis writes per pipelined round trip.")
  @Default.Integer(500)
  int getRedisBatchSize();

  void setRedisBatchSize(int size);

  @Description("Attempts per Redis batch on connection errors before the bundle fails (the runner then retries it).")
  @Default.Integer(5)
  int getRedisMaxAttempts();

  void setRedisMaxAttempts(int attempts);

  @Description("Wait before the first Redis retry; doubles with each, up to 30s.")
  @Default.String("100ms")
  String getRedisInitialBackoff();

  void setRedisInitialBackoff(String backoff);

  /** Checks the Redis options, recording every problem in {@code check}. */
  static void check(RedisOptions options, OptionsCheck check) {
    check
        .requireSet(options.getRedisHost(), "redisHost", "to write to Redis")
        .require(
            options.getRedisPort() > 0 && options.getRedisPort() <= 65535,
            "redisPort",
            options.getRedisPort(),
            "must be in 1..65535")
        .requirePositive(options.getRedisBatchSize(), "redisBatchSize")
        .requirePositive(options.getRedisMaxAttempts(), "redisMaxAttempts");
    check.positiveDuration(options.getRedisTimeout(), "redisTimeout");
    check.duration(options.getRedisInitialBackoff(), "redisInitialBackoff");
  }

  /** The settings of checked options. */
  static RedisSettings settings(RedisOptions options) {
    return RedisSettings.of(options.getRedisHost(), options.getRedisPort())
        .withPassword(options.getRedisPassword())
        .withSsl(options.getRedisSsl())
        .withTimeout(Durations.parse(options.getRedisTimeout()))
        .withBatchSize(options.getRedisBatchSize())
        .withMaxAttempts(options.getRedisMaxAttempts())
        .withInitialBackoff(Durations.parse(options.getRedisInitialBackoff()));
  }

  /**
   * The settings, once Redis has answered a PING: a pipeline fails at start-up, naming these
   * options, instead of retrying deep inside the runner. Only when the pipeline's steps run in
   * this process (see {@link Sinks#runsInThisProcess}): a Dataflow job or a Flink cluster reaches
   * Redis from its workers, often on a network the submitting machine cannot see (a Memorystore
   * address in a VPC, a template launcher), so the check would refuse good jobs there.
   */
  static RedisSettings reachableSettings(RedisOptions options) {
    RedisSettings settings = settings(options);
    if (!Sinks.runsInThisProcess(options)) {
      return settings;
    }
    settings.checkReachable(
        "set --redisHost and --redisPort (and --redisPassword / --redisSsl) to a running Redis;"
            + " `it/services.sh start` starts one and prints its port");
    return settings;
  }
}
