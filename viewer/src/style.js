// The viewer's style sheet, scoped by its class names; added inside the viewer's element so that it also applies in
// a shadow root.
export const CSS = `
.fm-viewer { background: #1e2127; color: #e6e8eb; font: 13px system-ui, sans-serif; padding: 8px;
  border-radius: 6px; box-sizing: border-box; width: 100%; }
.fm-heads { display: flex; gap: 6px; }
.fm-head { position: relative; flex: 1 1 0; min-width: 0; }
.fm-head canvas { display: block; border-radius: 4px; }
.fm-label { position: absolute; left: 8px; top: 6px; color: #e6e8eb; text-shadow: 0 1px 2px #000; }
.fm-controls { display: flex; align-items: center; gap: 8px; margin: 6px 0; }
.fm-controls button { width: 64px; background: #3a3f48; color: #e6e8eb; border: 0; border-radius: 4px;
  padding: 4px 0; cursor: pointer; font: inherit; }
.fm-controls input[type=range] { flex: 1; }
.fm-time { font-variant-numeric: tabular-nums; min-width: 110px; text-align: right; }
.fm-timeline { display: block; cursor: col-resize; touch-action: none; }
.fm-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 4px; color: #c5c9d0; }
.fm-legend i { display: inline-block; width: 14px; height: 3px; margin-right: 5px; vertical-align: middle; }
.fm-error { color: #ff8a80; white-space: pre-wrap; }
`;
