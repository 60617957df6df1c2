import OnrampCore

/// The starter templates that ship with the binary (docs/templates.md). Each is tested by onboarding it against
/// sample data into the sandbox.
public enum StarterTemplates {
    public static let all: [StarterTemplate] = [headerLinesCSV, flatLinesCSV, xlsxOrderList, odooPostgres, restAPIOrders]

    public static func named(_ name: String) -> StarterTemplate? { all.first { $0.name == name } }

    /// Each starter's parsed document, by name, parsed once (a test parses every one).
    public static let documents: [String: Value] = Dictionary(uniqueKeysWithValues: all.compactMap { t in
        (try? t.document()).map { (t.name, $0) }
    })

    static let files = StarterTemplate.Parameter(name: "files", description: "The export files: a path or glob in the "
                                                 + "tenant's file area", example: "exports/orders-*.csv")
    static let delimiter = StarterTemplate.Parameter(name: "delimiter", description: "The field separator", example: ";")
    static let encoding = StarterTemplate.Parameter(name: "encoding", description: "The files' character encoding "
                                                    + "(utf-8, windows-1252, iso-8859-1, …)", example: "windows-1252")
    static let dateFormat = StarterTemplate.Parameter(name: "date_format", description: "The dates' picture",
                                                      example: "DD.MM.YYYY")
    static let decimalSeparator = StarterTemplate.Parameter(name: "decimal_separator", description: "The numbers' "
                                                            + "decimal separator", example: ",")
    static let idPrefix = StarterTemplate.Parameter(name: "id_prefix", description: "Put before the order number to "
                                                    + "make TAXMAN's transaction id", example: "ACME-")
    static let taxmanURL = StarterTemplate.Parameter(name: "taxman_url", description: "TAXMAN's base URL (the key is "
                                                     + "the tenant's secret TAXMAN_API_KEY)", example: "https://api.taxman.example")

    /// The cast of an order's text fields, shared by the CSV and XLSX templates; `date`: with the order date's
    /// picture (an XLSX date cell is a date already).
    static func castOrderFields(date: Bool = true) -> String {
        let dateLine = date ? "\n        order_date: {type: date, format: \"${param:date_format}\"}" : ""
        return """
          - name: types
            cast:
              fields:\(dateLine)
                quantity: {type: decimal, decimal_separator: "${param:decimal_separator}"}
                unit_price: {type: decimal, decimal_separator: "${param:decimal_separator}"}
                discount: {type: decimal, decimal_separator: "${param:decimal_separator}"}
          - name: no-discount-is-zero
            default: {fields: {discount: 0}}
        """
    }

    /// From an order with `lines` (the CSV templates' column names) to a TAXMAN transaction.
    static let toTransaction = #"""
      - name: to-taxman-transaction
        map: |
          {
            "transactionId": $string(id_prefix) & order_no,
            "type": "SalesInvoice",
            "date": order_date,
            "currency": $uppercase(currency),
            "customer": {"id": customer_id, "exemptionCode": exemption_code ? exemption_code : null},
            "shipTo": {"city": ship_city,
                       "region": ship_region ? $regionCode($countryCode(ship_country), ship_region) : null,
                       "postalCode": ship_postal_code, "country": $countryCode(ship_country)},
            "lines": [lines.{
              "number": $string(line_no),
              "itemCode": item_code,
              "description": description,
              "quantity": quantity,
              "amount": $money(quantity * unit_price),
              "discount": discount,
              "taxCode": tax_code ? tax_code : undefined
            }]
          }
    """#

    static let taxmanDestination = """
    destination:
      connector: taxman
      config: {base_url: "${param:taxman_url}", api_key: "${secret:TAXMAN_API_KEY}"}
    errors:
      max_failed_ratio: 0.05
    """

    public static let headerLinesCSV = csvTemplate(
        name: "erp-header-lines-csv",
        description: "CSV exports with an order header row (record_type H) followed by its line rows (L): columns "
            + "record_type, order_no, order_date, currency, customer_id, exemption_code, ship_city, ship_region, "
            + "ship_postal_code, ship_country, line_no, item_code, description, quantity, unit_price, discount, tax_code.",
        group: #"{by: order_no, header: "$uppercase(record_type) = 'H'", into: lines}"#)

    public static let flatLinesCSV = csvTemplate(
        name: "erp-flat-lines-csv",
        description: "CSV exports with one row per order line, the order's fields repeated on each: columns order_no, "
            + "order_date, currency, customer_id, exemption_code, ship_city, ship_region, ship_postal_code, ship_country, "
            + "line_no, item_code, description, quantity, unit_price, discount, tax_code.",
        group: "{by: order_no, into: lines}")

    /// A CSV export's template: tidy, cast, `group` rows into orders, map each to a transaction.
    static func csvTemplate(name: String, description: String, group: String) -> StarterTemplate {
        StarterTemplate(
            name: name, description: description,
            parameters: [files, delimiter, encoding, dateFormat, decimalSeparator, idPrefix, taxmanURL],
            yaml: """
            version: 1
            name: \(name)
            source:
              connector: csv
              config: {path: "${param:files}", delimiter: "${param:delimiter}", encoding: "${param:encoding}"}
              incremental: {mode: new_files}
            steps:
              - name: tidy
                clean: {}
            \(castOrderFields())
              - name: one-document-per-order
                group: \(group)
              - name: id-prefix
                default: {fields: {id_prefix: "${param:id_prefix}"}}
            \(toTransaction)
            \(taxmanDestination)
            """)
    }

    public static let restAPIOrders = StarterTemplate(
        name: "rest-api-paged-orders",
        description: "A REST API that lists orders page by page (?page=N&per_page=M, bearer token in the tenant's secret "
            + "ERP_TOKEN), each order with id, date (ISO), currency, customer {id, tax_exempt_code}, shipping_address "
            + "{city, state, zip, country} and line_items [{sku, name, quantity, price, discount, tax_code}], as "
            + "Shopify- and WooCommerce-style APIs answer.",
        parameters: [
            StarterTemplate.Parameter(name: "orders_url", description: "The orders list endpoint",
                                      example: "https://erp.example/api/orders"),
            StarterTemplate.Parameter(name: "records_path", description: "Where the orders are in an answer (a JSONata "
                                      + "path; $ when the answer is the list)", example: "orders"),
            idPrefix, taxmanURL,
        ],
        yaml: #"""
        version: 1
        name: rest-api-paged-orders
        source:
          connector: http_api
          config:
            url: "${param:orders_url}"
            records_path: "${param:records_path}"
            pagination: {type: page, page_param: page, page_size_param: per_page, page_size: 100}
            auth: {type: bearer, token: "${secret:ERP_TOKEN}"}
        steps:
          - name: id-prefix
            default: {fields: {id_prefix: "${param:id_prefix}"}}
          - name: to-taxman-transaction
            map: |
              {
                "transactionId": id_prefix & $string(id),
                "type": "SalesInvoice",
                "date": $substring(date, 0, 10),
                "currency": $uppercase(currency),
                "customer": {"id": $string(customer.id),
                             "exemptionCode": customer.tax_exempt_code ? customer.tax_exempt_code : null},
                "shipTo": {"city": shipping_address.city,
                           "region": shipping_address.state
                             ? $regionCode($countryCode(shipping_address.country), shipping_address.state) : null,
                           "postalCode": shipping_address.zip, "country": $countryCode(shipping_address.country)},
                "lines": [line_items#$i.{
                  "number": $string($i + 1),
                  "itemCode": sku,
                  "description": name,
                  "quantity": $number(quantity),
                  "amount": $money($number(quantity) * $number(price)),
                  "discount": discount ? $number(discount) : 0,
                  "taxCode": tax_code ? tax_code : undefined
                }]
              }
        \#(taxmanDestination)
        """#)
}
