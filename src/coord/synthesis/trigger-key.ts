/**
 * Where a room keeps its trigger: a memory, so it syncs with the room (and, being under
 * `synthesis/`, is no input to a synthesis). A module of its own so a face can check for the file
 * after every write without loading any synthesis code.
 */
export const TRIGGER_KEY = 'synthesis/trigger';
