// The demo brand page's own behaviour, as a file: the page carries our Content-Security-Policy,
// which runs no inline script or event handler.
document.querySelector("form.search")?.addEventListener("submit", (event) => event.preventDefault());
document.getElementById("demo-chat")?.addEventListener("click", () => window.vvcEngagement?.open());
