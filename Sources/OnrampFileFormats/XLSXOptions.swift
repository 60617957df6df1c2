import OnrampCore

/// Which sheet of a workbook to read and which row names the columns.
public struct XLSXOptions: Sendable {
    /// The sheet's name as its tab shows it; nil: the first sheet.
    public var sheet: String?
    /// The 1-based row holding the column names (rows above it are skipped); 0: no header, columns are named A, B, ...
    public var headerRow = 1
    /// Error values (#N/A, #DIV/0!) are null instead of making their row an error record.
    public var nullCellErrors = false

    public init() {}

    /// Options from a validated config holding `schemaProperties` (`path` names the config in errors).
    public init(config: Value, at path: String) throws {
        sheet = config["sheet"]?.stringValue
        if let n = config["header_row"]?.numberValue {
            guard n >= 0, n == n.rounded(), n < 1_048_577 else {
                throw OnrampError("config.range", "must be a row number (0 for no header)", at: path + ".header_row")
            }
            headerRow = Int(n)
        }
        nullCellErrors = config["cell_errors"]?.stringValue == "null"

    }

    static let schemaProperties: Value.Object = [
        "sheet": ["type": "string", "minLength": 1, "title": "Sheet",
                  "description": "The sheet's name as its tab shows it (default: the first sheet)", "examples": ["Orders"]],
        "header_row": ["type": "integer", "minimum": 0, "default": 1, "title": "Header row",
                       "description": "The row that names the columns; rows above it are skipped; 0: no header (columns A, B, ...)",
                       "examples": [1, 3]],
        "cell_errors": ["type": "string", "enum": ["row_error", "null"], "default": "row_error",
                        "title": "Cells with errors",
                        "description": "row_error: a row with an error value (#N/A, #DIV/0!) is an error record; null: such cells are null",
                        "examples": ["null"]],
    ]
}
