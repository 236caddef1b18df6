/** The version this build reports (`mycelium --version`, the MCP server's info). */
export const VERSION = '0.1.0';
