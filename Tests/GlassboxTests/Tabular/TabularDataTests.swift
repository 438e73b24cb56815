import Foundation
@testable import Glassbox
import XCTest

/// CSV tables, their split into training and test rows with standardisation statistics, and the
/// breast cancer table as Debian's python3-sklearn ships it.
final class TabularDataTests: XCTestCase {
    func table(_ text: String, _ path: String = "t.csv") throws -> CSVTable { try CSVTable(Data(text.utf8), path: path) }

    func testCSVReadsQuotesCRLFBlankLinesAndAByteOrderMark() throws {
        let t = try table("\u{FEFF}a, \"b, c\" ,label\r\n1, 2,x\r\n\r\n\"3\",\"4\"\"\",y\n")
        XCTAssertEqual(t.columns, ["a", "b, c", "label"])
        XCTAssertEqual(t.rows, [["1", "2", "x"], ["3", "4\"", "y"]])
        XCTAssertEqual(t.lines, [2, 4])
    }

    func testBadCSVNamesTheLineAndColumn() throws {
        func refused(_ text: String, _ expected: [String], label: String? = nil, line: UInt = #line) {
            XCTAssertThrowsError(try TabularData.make(try table(text, "bad.csv"), path: "bad.csv", label: label), line: line) { error in
                for word in expected + ["bad.csv"] { XCTAssertTrue("\(error)".contains(word), "\(error) lacks '\(word)'", line: line) }
            }
        }
        refused("", ["empty"])
        refused("a,b\n", ["no rows after the header"])
        refused("a,b,c\n1,2,0\n3,4\n", ["line 3", "2 cells", "3 columns"])
        refused("a,b,c\n1,2,0\n3,x,1\n", ["line 3", "column 'b'", "'x' is not a finite number"])
        refused("a,b,c\n1,2,0\n3,nan,1\n", ["line 3", "column 'b'"])
        refused("a,b,c\n1,2,0\n3,4,1\n", ["no label column 'y'"], label: "y")
        refused("a,,c\n1,2,0\n", ["column 2 of the header has no name"])
        refused("a,a,c\n1,2,0\n", ["names column 'a' twice"])
        refused("a,\"b\n1,2\n", ["never closed"])
        refused("a,c\n1,0\n2,0\n", ["one class only"])
        // A test file whose label the training rows never had.
        let train = try table("a,c\n1,0\n2,1\n"), test = try table("a,c\n1,0\n2,7\n", "test.csv")
        XCTAssertThrowsError(try TabularData.make(train, path: "train.csv", test: (test, "test.csv"))) {
            XCTAssertTrue("\($0)".contains("test.csv") && "\($0)".contains("line 3") && "\($0)".contains("label '7'"), "\($0)")
        }
    }

    func testSplitAndStandardisation() throws {
        var text = "x,y,label\n"
        for i in 0..<50 { text += "\(i),\(Double(i) * 0.5 + 3),\(i % 3 == 0 ? "b" : "a")\n" }
        let data = try TabularData.make(try table(text), path: "t.csv", testFraction: 0.2, seed: 4)
        XCTAssertEqual(data.featureNames, ["x", "y"])
        XCTAssertEqual(data.classNames, ["a", "b"])
        XCTAssertEqual(data.testCount, 10)
        XCTAssertEqual(data.trainCount, 40)
        XCTAssertEqual(Set(data.trainFeatures.enumerated().filter { $0.offset % 2 == 0 }.map(\.element) + data.testFeatures.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)),
                       Set((0..<50).map(Float.init)), "every row lands on one side")
        for (row, label) in data.trainLabels.enumerated() {
            XCTAssertEqual(label, Int(data.trainFeatures[row * 2]) % 3 == 0 ? 1 : 0)
        }
        // Standardised training features have mean 0 and standard deviation 1.
        let standardized = data.standardization.apply(data.trainFeatures)
        for feature in 0..<2 {
            let column = standardized.enumerated().filter { $0.offset % 2 == feature }.map { Double($0.element) }
            let mean = column.reduce(0, +) / Double(column.count)
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(column.count)
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            XCTAssertEqual(variance, 1, accuracy: 1e-4)
        }
        // The same seed splits the same way; another seed differently.
        XCTAssertEqual(try TabularData.make(try table(text), path: "t.csv", seed: 4).testFeatures, data.testFeatures)
        XCTAssertNotEqual(try TabularData.make(try table(text), path: "t.csv", seed: 5).testFeatures, data.testFeatures)
        // Numeric labels sort by value; a constant feature gets scale 1.
        let numeric = try TabularData.make(try table("k,c\n5,10\n5,9\n5,10\n5,9\n5,10\n"), path: "n.csv", testFraction: 0.4)
        XCTAssertEqual(numeric.classNames, ["9", "10"])
        XCTAssertEqual(numeric.standardization.scale, [1])
    }

    /// scikit-learn's bundled CSV (a first line of counts and class names) with the feature names
    /// from its description: a small copy in the same form, and the real table when installed.
    func testBreastCancerTableReadsScikitLearnsFormat() throws {
        let description = Data("""
            :Summary Statistics:
            radius (mean):                        6.981  28.11
            texture (mean):                       9.71   39.28
            radius (standard error):              0.112  2.873
            radius (worst):                       7.93   36.04
            """.utf8)
        let csv = Data("3,4,malignant,benign\n1,2,3,4,0\n5,6,7,8,1\n9,10,11,12,0\n".utf8)
        XCTAssertTrue(BreastCancerTable.looksLikeScikitLearn(csv))
        XCTAssertFalse(BreastCancerTable.looksLikeScikitLearn(Data("a,b,c,label\n1,2,3,x\n".utf8)))
        let (table, classes) = try BreastCancerTable.table(csv: csv, csvPath: "bc.csv", description: description, descriptionPath: "bc.rst")
        XCTAssertEqual(table.columns, ["mean radius", "mean texture", "radius error", "worst radius", "target"])
        XCTAssertEqual(classes, ["malignant", "benign"])
        let data = try TabularData.make(table, path: "bc.csv", classNames: classes, testFraction: 0.34)
        XCTAssertEqual(data.classNames, ["malignant", "benign"])
        XCTAssertEqual(data.trainCount + data.testCount, 3)
        XCTAssertThrowsError(try BreastCancerTable.table(csv: Data("4,4,malignant,benign\n1,2,3,4,0\n".utf8), csvPath: "short.csv",
                                                          description: description, descriptionPath: "bc.rst")) {
            XCTAssertTrue("\($0)".contains("declares 4 rows, the file has 1"), "\($0)")
        }
        guard FileManager.default.fileExists(atPath: BreastCancerTable.defaultCSV) else { return }
        let real = try BreastCancerTable.table(csv: try Data(contentsOf: URL(fileURLWithPath: BreastCancerTable.defaultCSV)), csvPath: "breast_cancer.csv",
                                               description: try Data(contentsOf: URL(fileURLWithPath: BreastCancerTable.defaultDescription)),
                                               descriptionPath: "breast_cancer.rst")
        XCTAssertEqual(real.table.rows.count, 569)
        XCTAssertEqual(real.table.columns.count, 31)
        XCTAssertEqual(Array(real.table.columns.prefix(2)) + [real.table.columns[10], real.table.columns[29]],
                       ["mean radius", "mean texture", "radius error", "worst fractal dimension"])
        let split = try TabularData.make(real.table, path: "breast_cancer.csv", classNames: real.classNames)
        XCTAssertEqual(split.trainLabels.filter { $0 == 0 }.count + split.testLabels.filter { $0 == 0 }.count, 212, "212 malignant, 357 benign")
    }
}
