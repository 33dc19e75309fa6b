"""The consumer side: the brand's script tag, the embedded messaging window, the mobile webview call
page, the demo brand page and the SDK configuration API (docs/engagement.md)."""
