// Read by Bootstrap Italia's bundle as it loads (this file comes first): video.js, bundled in
// it, would otherwise add <style> elements of its own, which the strict CSP refuses. The app
// shows no video, so those default player sizes are not needed.
window.VIDEOJS_NO_DYNAMIC_STYLE = true;
