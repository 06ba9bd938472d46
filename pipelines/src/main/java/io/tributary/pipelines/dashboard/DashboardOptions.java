package io.tributary.pipelines.dashboard;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Where the live dashboard listens ({@code --sink=dashboard}, and {@code tributary dashboard}). */
public interface DashboardOptions extends PipelineOptions {
  @Description(
      "Address the dashboard binds to; 127.0.0.1 (the default) serves this machine only, 0.0.0.0"
          + " every interface.")
  @Default.String("127.0.0.1")
  String getDashboardHost();

  void setDashboardHost(String host);

  @Description("Port of the dashboard; if taken, a free port is used (the URL is printed). 0: any free port.")
  @Default.Integer(8080)
  int getDashboardPort();

  void setDashboardPort(int port);
}
