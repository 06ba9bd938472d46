package io.tributary.pipelines.io;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * How a pipeline writes the online feature store ({@code FeatureStore.writeOnline}): Redis as
 * {@link RedisOptions} say, one hash per entity under the prefix. The same options for every
 * pipeline that produces features (cdc's feature routes, fraud's card features).
 */
public interface FeatureStoreOptions extends RedisOptions {
  @Description("Prefix of the online feature hashes <prefix><entity_type>:<entity_id>.")
  @Default.String("feature:")
  String getFeatureKeyPrefix();

  void setFeatureKeyPrefix(String prefix);
}
