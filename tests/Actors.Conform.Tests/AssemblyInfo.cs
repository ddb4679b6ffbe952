// The conform tests run the native helper: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
