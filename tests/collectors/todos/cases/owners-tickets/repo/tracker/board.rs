/* TODO(fay): a block comment with an owner, see BOARD-3 */
pub fn board() {}
