/**
 * Market sentiment: {@link io.tributary.transforms.sentiment.Sentiment} scores text with CoreNLP
 * and a finance layer, attributes sentences to tickers, aggregates exact per-ticker windows and
 * alerts on shifts. Artifact {@code tributary-sentiment}: core and CoreNLP; the model files come
 * from {@code tributary-sentiment-models} (or CoreNLP's models jars) on the runtime classpath.
 */
package io.tributary.transforms.sentiment;
