// The pinned AWS SDK keeps working on Node 20; its notice about future releases would bury test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
