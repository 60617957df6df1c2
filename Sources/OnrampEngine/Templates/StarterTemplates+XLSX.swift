import OnrampCore

extension StarterTemplates {
    static let sheet = StarterTemplate.Parameter(name: "sheet", description: "The sheet's name as its tab shows it",
                                                 example: "Orders")
    static let headerRow = StarterTemplate.Parameter(name: "header_row", description: "The row that names the "
                                                     + "columns (rows above it, such as a title, are skipped)", example: "1")

    /// An order list in Excel workbooks: one row per order line, as the flat CSV export, with typed cells.
    public static let xlsxOrderList = StarterTemplate(
        name: "erp-xlsx-order-list",
        description: "Excel workbooks (.xlsx) with an order list, one row per order line, the order's fields repeated on "
            + "each: columns order_no, order_date (a date cell, or text in date_format), currency, customer_id, "
            + "exemption_code, ship_city, ship_region, ship_postal_code, ship_country, line_no, item_code, description, "
            + "quantity, unit_price, discount, tax_code (numbers as number cells, or text with decimal_separator).",
        parameters: [
            StarterTemplate.Parameter(name: "files", description: "The workbooks: a path or glob in the tenant's file "
                                      + "area", example: "exports/orders-*.xlsx"),
            sheet, headerRow, dateFormat, decimalSeparator, idPrefix, taxmanURL,
        ],
        yaml: #"""
        version: 1
        name: erp-xlsx-order-list
        source:
          connector: xlsx
          config: {path: "${param:files}", sheet: "${param:sheet}", header_row: "${param:header_row}"}
          incremental: {mode: new_files}
        steps:
          - name: tidy
            clean: {}
          - name: codes-as-text
            cast: {fields: {order_no: string, customer_id: string, ship_postal_code: string, line_no: string, item_code: string}}
          - name: order-date
            set:
              order_date: >-
                $type(order_date) = "string" and $contains(order_date, /^[0-9]{4}-[0-9]{2}-[0-9]{2}/)
                ? $substring(order_date, 0, 10) : $parseDate(order_date, "${param:date_format}")
        \#(castOrderFields(date: false))
          - name: one-document-per-order
            group: {by: order_no, into: lines}
          - name: id-prefix
            default: {fields: {id_prefix: "${param:id_prefix}"}}
        \#(toTransaction)
        \#(taxmanDestination)
        """#)
}
