// Mountable views of the modules feature, each with its data source.
// Each entry: name -> async (element, app, viewOptions) => {view, destroy()}; see embed.js.

export const MOUNTS = {};
