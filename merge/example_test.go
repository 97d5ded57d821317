package merge_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/merge"
	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store"
)

// Item declares its merge policy once, in struct tags.
type Item struct {
	ID      string   `bson:"_id"`
	Version int64    `bson:"version"`
	Title   string   `bson:"title"`
	Stock   int32    `bson:"stock" merge:"counter,min=0"`
	Tags    []string `bson:"tags" merge:"set"`
}

// Two users edit the same item from version 1. The second one's write would be a conflict; Resolve merges it
// into the stored document instead: both stock changes apply, both tags are kept, and the title changed by
// one side only is taken.
func ExampleResolve() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	items := occ.New(store.Embedded(db), "shop", "items", nil)
	_, _ = items.Insert(ctx, Item{ID: "lamp", Title: "Lamp", Stock: 10, Tags: []string{"home"}})

	base, _, _ := items.FindByID(ctx, "lamp")
	// Someone sells three lamps and tags the item.
	_, _ = items.UpdateOne(ctx, "lamp", 1, bson.D{{Key: "$inc", Value: bson.D{{Key: "stock", Value: int32(-3)}}},
		{Key: "$push", Value: bson.D{{Key: "tags", Value: "sale"}}}})
	// Meanwhile, from the version-1 copy: one lamp sold, a new title, a new tag.
	var mine Item
	_ = bson.Unmarshal(base, &mine)
	mine.Stock, mine.Title, mine.Tags = mine.Stock-1, "Desk lamp", append(mine.Tags, "desk")
	mineRaw, _ := bson.Marshal(mine)

	policy, _ := merge.PolicyOf[Item]()
	res, merged, err := merge.Resolve(ctx, items, "lamp", base, mineRaw, &merge.Options{Policy: policy})
	fmt.Println("version", res.PreviousVersion, "->", res.NewVersion, err)
	for _, r := range merged.Resolved {
		fmt.Println("resolved", r.Path, "by", r.By)
	}
	doc, _, _ := items.FindByID(ctx, "lamp")
	fmt.Println(doc.Lookup("title"), doc.Lookup("stock"), doc.Lookup("tags"))

	// A collision no rule decides writes nothing: the title, changed on both sides since version 3.
	_, _ = items.UpdateOne(ctx, "lamp", 3, bson.D{{Key: "$set", Value: bson.D{{Key: "title", Value: "Table lamp"}}}})
	_, _, err = merge.Resolve(ctx, items, "lamp", doc, mustMarshal(bson.D{{Key: "_id", Value: "lamp"}, {Key: "title", Value: "Floor lamp"},
		{Key: "stock", Value: int32(6)}, {Key: "tags", Value: bson.A{"home", "sale", "desk"}}}), nil)
	fmt.Println(errors.Is(err, merge.ErrConflict), err)
	// Output:
	// version 2 -> 3 <nil>
	// resolved stock by counter
	// resolved tags by set
	// "Desk lamp" {"$numberInt":"6"} ["home","sale","desk"]
	// true merge: unresolved conflicts at title (both changed)
}

func mustMarshal(d bson.D) bson.Raw {
	b, err := bson.Marshal(d)
	if err != nil {
		panic(err)
	}
	return b
}

// Detect lists, per path, which side changed what.
func ExampleDetect() {
	base := mustMarshal(bson.D{{Key: "a", Value: 1}, {Key: "b", Value: bson.D{{Key: "c", Value: 1}, {Key: "d", Value: 1}}}})
	mine := mustMarshal(bson.D{{Key: "a", Value: 2}, {Key: "b", Value: bson.D{{Key: "c", Value: 2}, {Key: "d", Value: 1}}}})
	theirs := mustMarshal(bson.D{{Key: "a", Value: 3}, {Key: "b", Value: bson.D{{Key: "c", Value: 1}, {Key: "d", Value: 2}}}})
	for _, c := range merge.Detect(base, mine, theirs, nil) {
		fmt.Printf("%s mine:%v theirs:%v collides:%v\n", c.Path, c.MineChanged, c.TheirsChanged, c.Collides)
	}
	// Output:
	// a mine:true theirs:true collides:true
	// b.c mine:true theirs:false collides:false
	// b.d mine:false theirs:true collides:false
}
