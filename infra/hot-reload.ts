/**
 * LocalStack's magic bucket for Lambda hot reloading: a function whose code is this bucket with an absolute
 * host folder as key runs that folder (localstack constants.py DEFAULT_BUCKET_MARKER_LOCAL, "hot-reload" since
 * LocalStack 2.0; docs.localstack.cloud "Hot Reloading"). Its own module, so the harness reads it without
 * loading aws-cdk-lib.
 */
export const HOT_RELOAD_BUCKET = 'hot-reload';
